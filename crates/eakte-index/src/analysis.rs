//! German and English text analysis: umlaut folding, stemming, compound splitting, and the
//! analyzers registered under fixed names on every index.

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    SplitCompoundWords, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

use crate::error::IndexError;

/// German text: folded, then Snowball-stemmed.
pub(crate) const GERMAN: &str = "eakte_de";
/// English text: folded, then Snowball-stemmed (English).
pub(crate) const ENGLISH: &str = "eakte_en";
/// German compound parts: folded, split over the dictionary, then stemmed.
pub(crate) const PARTS: &str = "eakte_parts";
/// Folded but unstemmed words, for prefix and fuzzy queries.
pub(crate) const FOLDED: &str = "eakte_fold";
/// One lowercase token per value, for document types, languages and statuses.
pub(crate) const KEYWORD: &str = "eakte_keyword";

/// Tokens longer than this (in bytes) are dropped: they are OCR noise or encoded data, and
/// they would only bloat the term dictionary.
const MAX_TOKEN_BYTES: usize = 48;

/// The dictionary of compound parts, written for this crate (see the file's header).
const COMPOUND_PARTS: &str = include_str!("../data/compound_parts.txt");

/// Endings added to every dictionary entry, so that inflected and linking forms inside a
/// compound (`Geburts|urkunde`, `Bescheinigungen`) still decompose completely.
const PART_ENDINGS: [&str; 8] = ["", "s", "es", "n", "en", "e", "er", "ern"];

/// Replaces German umlauts and ß by their two-letter spellings, so that `Müller`, `Mueller`
/// and `MUELLER` become the same word, and the long s of historical print (`ſ`, as in OCR of
/// Fraktur and its transcriptions) by `s`. Returns `None` when nothing changes.
pub(crate) fn fold_umlauts(text: &str) -> Option<String> {
    if !text
        .chars()
        .any(|c| matches!(c, 'ä' | 'ö' | 'ü' | 'ß' | 'Ä' | 'Ö' | 'Ü' | 'ẞ' | 'ſ'))
    {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match c {
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            'ß' | 'ẞ' => out.push_str("ss"),
            'ſ' => out.push('s'),
            other => out.push(other),
        }
    }
    Some(out)
}

/// Token filter applying [`fold_umlauts`]; it runs after lowercasing and before the generic
/// ASCII folding, which would otherwise turn `ä` into a bare `a`.
#[derive(Clone)]
struct UmlautFolding;

impl TokenFilter for UmlautFolding {
    type Tokenizer<T: Tokenizer> = UmlautFoldingTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> UmlautFoldingTokenizer<T> {
        UmlautFoldingTokenizer { inner: tokenizer }
    }
}

#[derive(Clone)]
struct UmlautFoldingTokenizer<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for UmlautFoldingTokenizer<T> {
    type TokenStream<'a> = UmlautFoldingStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        UmlautFoldingStream {
            tail: self.inner.token_stream(text),
        }
    }
}

struct UmlautFoldingStream<S> {
    tail: S,
}

impl<S: TokenStream> TokenStream for UmlautFoldingStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if !token.text.is_ascii()
            && let Some(folded) = fold_umlauts(&token.text)
        {
            token.text = folded;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The dictionary entries, folded like the text and extended by [`PART_ENDINGS`].
fn compound_dictionary() -> Vec<String> {
    let mut entries: Vec<String> = COMPOUND_PARTS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .flat_map(|word| {
            let folded = fold_umlauts(word).unwrap_or_else(|| word.to_owned());
            PART_ENDINGS.map(|ending| format!("{folded}{ending}"))
        })
        .collect();
    entries.sort();
    entries.dedup();
    entries
}

/// All analyzers the index uses, built once; cloning one is cheap.
#[derive(Clone)]
pub(crate) struct Analyzers {
    german: TextAnalyzer,
    english: TextAnalyzer,
    parts: TextAnalyzer,
    folded: TextAnalyzer,
    keyword: TextAnalyzer,
    german_stem: TextAnalyzer,
    english_stem: TextAnalyzer,
    split: TextAnalyzer,
}

/// Which analysis to run on a piece of query or document text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Analysis {
    German,
    English,
    Parts,
    Folded,
    Keyword,
}

impl Analyzers {
    /// Builds every analyzer; fails only if the compound dictionary cannot be compiled.
    pub(crate) fn new() -> Result<Self, IndexError> {
        let folded = || {
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(UmlautFolding)
                .filter(AsciiFoldingFilter)
                .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        };
        let splitter = SplitCompoundWords::from_dictionary(compound_dictionary())?;
        Ok(Self {
            german: folded().filter(Stemmer::new(Language::German)).build(),
            english: folded().filter(Stemmer::new(Language::English)).build(),
            parts: folded()
                .filter(splitter.clone())
                .filter(Stemmer::new(Language::German))
                .build(),
            folded: folded().build(),
            keyword: TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .build(),
            german_stem: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::German))
                .build(),
            english_stem: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::English))
                .build(),
            split: TextAnalyzer::builder(RawTokenizer::default())
                .filter(splitter)
                .filter(Stemmer::new(Language::German))
                .build(),
        })
    }

    /// Registers the analyzers under the names the schema refers to.
    pub(crate) fn register(&self, index: &Index) {
        let manager = index.tokenizers();
        manager.register(GERMAN, self.german.clone());
        manager.register(ENGLISH, self.english.clone());
        manager.register(PARTS, self.parts.clone());
        manager.register(FOLDED, self.folded.clone());
        manager.register(KEYWORD, self.keyword.clone());
    }

    /// The terms `text` yields under `analysis`, in order.
    pub(crate) fn terms(&self, analysis: Analysis, text: &str) -> Vec<String> {
        let mut analyzer = match analysis {
            Analysis::German => self.german.clone(),
            Analysis::English => self.english.clone(),
            Analysis::Parts => self.parts.clone(),
            Analysis::Folded => self.folded.clone(),
            Analysis::Keyword => self.keyword.clone(),
        };
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push(token.text.clone());
        }
        out
    }

    /// The folded words of `text` with their byte ranges in it, for snippets.
    pub(crate) fn folded_tokens(&self, text: &str) -> Vec<(usize, usize, String)> {
        let mut analyzer = self.folded.clone();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((token.offset_from, token.offset_to, token.text.clone()));
        }
        out
    }

    /// German stem, English stem and stemmed compound parts of one already folded word.
    pub(crate) fn word_forms(&self, folded: &str) -> (String, String, Vec<String>) {
        let single = |analyzer: &TextAnalyzer| {
            let mut analyzer = analyzer.clone();
            let mut stream = analyzer.token_stream(folded);
            stream
                .next()
                .map(|t| t.text.clone())
                .unwrap_or_else(|| folded.to_owned())
        };
        let mut split = self.split.clone();
        let mut stream = split.token_stream(folded);
        let mut parts = Vec::new();
        while let Some(token) = stream.next() {
            parts.push(token.text.clone());
        }
        (single(&self.german_stem), single(&self.english_stem), parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_fold_to_two_letters() {
        assert_eq!(fold_umlauts("Müßig"), Some("Muessig".to_owned()));
        assert_eq!(fold_umlauts("plain"), None);
        assert_eq!(fold_umlauts("Geſchütze"), Some("Geschuetze".to_owned()));
    }

    #[test]
    fn spellings_of_one_name_give_one_term() {
        let a = Analyzers::new().unwrap();
        let forms = ["Müller", "Mueller", "MÜLLER", "mueller"];
        let terms: Vec<_> = forms.iter().map(|f| a.terms(Analysis::German, f)).collect();
        assert!(terms.iter().all(|t| t == &terms[0]), "{terms:?}");
        assert_eq!(
            a.terms(Analysis::German, "Straße"),
            a.terms(Analysis::German, "STRASSE")
        );
        assert_eq!(a.terms(Analysis::Folded, "Café"), vec!["cafe".to_owned()]);
    }

    #[test]
    fn compounds_split_into_stemmed_parts() {
        let a = Analyzers::new().unwrap();
        let parts = a.terms(Analysis::Parts, "Meldebescheinigungen");
        let single = a.terms(Analysis::Parts, "Bescheinigung");
        assert_eq!(single.len(), 1);
        assert!(parts.contains(&single[0]), "{parts:?}");
        let birth = a.terms(Analysis::Parts, "Geburtsurkunde");
        assert_eq!(birth.len(), 2, "{birth:?}");
        // A word the dictionary cannot decompose completely stays whole.
        assert_eq!(a.terms(Analysis::Parts, "Xylophon").len(), 1);
    }

    #[test]
    fn dictionary_is_folded() {
        let dict = compound_dictionary();
        assert!(
            dict.iter().all(|w| w.is_ascii()),
            "umlauts left in dictionary"
        );
        assert!(dict.contains(&"geburts".to_owned()));
    }
}
