//! German and English text analysis: umlaut folding, stemming, compound splitting, and the
//! analyzers registered under fixed names on every index.

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    SplitCompoundWords, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

use crate::error::IndexError;
use crate::memo::Memoized;

/// German text: folded, then Snowball-stemmed.
pub(crate) const GERMAN: &str = "eakte_de";
/// English text: folded, then Snowball-stemmed (English).
pub(crate) const ENGLISH: &str = "eakte_en";
/// German compound parts: folded, split over the dictionary, then stemmed; in the index only
/// words that split into two or more parts.
pub(crate) const PARTS: &str = "eakte_parts";
/// Folded but unstemmed words, for prefix and fuzzy queries.
pub(crate) const FOLDED: &str = "eakte_fold";
/// One lowercase token per value, for document types, languages and statuses.
pub(crate) const KEYWORD: &str = "eakte_keyword";

/// Tokens longer than this (in bytes) are dropped: they are OCR noise or encoded data, and
/// they would only bloat the term dictionary.
pub(crate) const MAX_TOKEN_BYTES: usize = 48;

/// The dictionary of compound parts, written for this crate (see the file's header).
const COMPOUND_PARTS: &str = include_str!("../data/compound_parts.txt");

/// Endings added to every dictionary entry, so that inflected and linking forms inside a
/// compound (`Geburts|urkunde`, `Bescheinigungen`) still decompose completely.
const PART_ENDINGS: [&str; 8] = ["", "s", "es", "n", "en", "e", "er", "ern"];

/// The spelling of a German letter without umlaut or ß: `ä` → `ae`, `ß` → `ss`, and the long s
/// of historical print (`ſ`, as in OCR of Fraktur and its transcriptions) → `s`; lowercase.
fn spelt_out(c: char) -> Option<&'static str> {
    match c {
        'ä' | 'Ä' => Some("ae"),
        'ö' | 'Ö' => Some("oe"),
        'ü' | 'Ü' => Some("ue"),
        'ß' | 'ẞ' => Some("ss"),
        'ſ' => Some("s"),
        _ => None,
    }
}

/// Replaces German umlauts, ß and ſ by their spellings ([`spelt_out`]), so that `Müller`,
/// `Mueller` and `MUELLER` become the same word. Returns `None` when nothing changes.
pub(crate) fn fold_umlauts(text: &str) -> Option<String> {
    if !text.chars().any(|c| spelt_out(c).is_some()) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match spelt_out(c) {
            Some(spelling) => out.push_str(spelling),
            None => out.push(c),
        }
    }
    Some(out)
}

/// Folds one word as the folded analyzer does (lowercase, umlauts spelt out) into `out`, for
/// words whose letters are ASCII or German; returns false for any other letter, which is left
/// to the analyzer's ASCII folding.
fn fold_word(word: &str, out: &mut String) -> bool {
    out.clear();
    if word.is_ascii() {
        out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        return true;
    }
    for c in word.chars().flat_map(char::to_lowercase) {
        match spelt_out(c) {
            Some(spelling) => out.push_str(spelling),
            None if c.is_ascii() => out.push(c),
            None => return false,
        }
    }
    true
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

/// All analyzers the index uses, built once.
pub(crate) struct Analyzers {
    german: TextAnalyzer,
    english: TextAnalyzer,
    parts: TextAnalyzer,
    compounds: TextAnalyzer,
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
        // Every step after the tokenizer works on one word at a time, so the analyzers run
        // them inside `Memoized`: each distinct word of a text is lowercased, folded, stemmed
        // and split once per tokenizer, and every repetition is a single lookup.
        let word = || {
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .filter(UmlautFolding)
                .filter(AsciiFoldingFilter)
                .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        };
        let text = |words: Memoized| {
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(words)
                .build()
        };
        let splitter = SplitCompoundWords::from_dictionary(compound_dictionary())?;
        let german_stem = TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::German))
            .build();
        let english_stem = TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::English))
            .build();
        let split = TextAnalyzer::builder(RawTokenizer::default())
            .filter(splitter.clone())
            .filter(Stemmer::new(Language::German))
            .build();
        let split_word = || {
            word()
                .filter(splitter.clone())
                .filter(Stemmer::new(Language::German))
                .build()
        };
        Ok(Self {
            german: text(Memoized::new(
                word().filter(Stemmer::new(Language::German)).build(),
            )),
            english: text(Memoized::new(
                word().filter(Stemmer::new(Language::English)).build(),
            )),
            parts: text(Memoized::new(split_word())),
            compounds: text(Memoized::compounds_only(split_word())),
            folded: text(Memoized::new(word().build())),
            keyword: TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .build(),
            german_stem,
            english_stem,
            split,
        })
    }

    /// Registers the analyzers under the names the schema refers to.
    pub(crate) fn register(&self, index: &Index) {
        let manager = index.tokenizers();
        manager.register(GERMAN, self.german.clone());
        manager.register(ENGLISH, self.english.clone());
        // The parts field holds only the parts of real compounds: a word that does not split
        // gives its German stem, which the text and title fields hold already.
        manager.register(PARTS, self.compounds.clone());
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

    /// Calls `found` with the byte range and the folded form of every word of `text`, the
    /// same words the folded analyzer yields, without allocating per word: snippets scan
    /// whole page texts with it.
    pub(crate) fn for_each_folded(&self, text: &str, mut found: impl FnMut(usize, usize, &str)) {
        let mut folder: Option<TextAnalyzer> = None;
        let mut buffer = String::new();
        let mut word = |from: usize, to: usize| {
            let raw = &text[from..to];
            if fold_word(raw, &mut buffer) {
                if buffer.len() < MAX_TOKEN_BYTES {
                    found(from, to, &buffer);
                }
                return;
            }
            // Other letters with diacritics: the analyzer's ASCII folding knows them all.
            let folder = folder.get_or_insert_with(|| self.folded.clone());
            let mut stream = folder.token_stream(raw);
            while let Some(token) = stream.next() {
                found(from, to, &token.text);
            }
        };
        // Words are the runs of alphanumeric characters, as the simple tokenizer cuts them.
        let mut start = None;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let (alphanumeric, len) = if bytes[i].is_ascii() {
                (bytes[i].is_ascii_alphanumeric(), 1)
            } else {
                let c = text[i..].chars().next().unwrap_or(' ');
                (c.is_alphanumeric(), c.len_utf8())
            };
            if alphanumeric {
                start.get_or_insert(i);
            } else if let Some(from) = start.take() {
                word(from, i);
            }
            i += len;
        }
        if let Some(from) = start {
            word(from, text.len());
        }
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
    fn fast_folding_agrees_with_the_analyzer() {
        let a = Analyzers::new().unwrap();
        let text = "Müßige STRAẞE, Café; Geſchütze x1 Ærø İstanbul ÄÖÜ-Weg";
        let mut fast = Vec::new();
        a.for_each_folded(text, |from, to, w| fast.push((from, to, w.to_owned())));
        let mut folder = a.folded.clone();
        let mut stream = folder.token_stream(text);
        let mut slow = Vec::new();
        while let Some(t) = stream.next() {
            slow.push((t.offset_from, t.offset_to, t.text.clone()));
        }
        assert_eq!(fast, slow);
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
