//! A token filter that remembers what an expensive per-word analysis (stemming, compound
//! splitting) made of each word it has seen, so that every distinct word is analysed once.

use std::collections::HashMap;

use tantivy::tokenizer::{TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer};

/// Distinct words one tokenizer remembers before it starts afresh. German text of a few
/// thousand documents has far fewer distinct words; the bound only keeps OCR noise from
/// growing the memory without limit.
const MAX_REMEMBERED_WORDS: usize = 200_000;

/// Hashing of words for maps keyed by them: FxHash (rustc-hash), since the standard SipHash
/// cost as much as the rest of a lookup. It is not collision-resistant; a document crafted to
/// collide could only slow the indexing of its own words, since lookups stay exact and the
/// memory is bounded.
pub(crate) type WordHashing = rustc_hash::FxBuildHasher;

/// Remembered forms by word.
type Memory = HashMap<String, Box<[String]>, WordHashing>;

/// Applies `words` (a raw tokenizer followed by per-word filters) to every token's text and
/// remembers the result per word. Stemming was the larger part of indexing time, and natural
/// text repeats its words so often that almost every token is answered from memory.
#[derive(Clone)]
pub(crate) struct Memoized {
    words: TextAnalyzer,
    /// Words that `words` turns into fewer tokens than this are dropped.
    min_forms: usize,
}

impl Memoized {
    /// `words` sees one token's text at a time and may turn it into several tokens (compound
    /// parts), one, or none.
    pub(crate) fn new(words: TextAnalyzer) -> Self {
        Self {
            words,
            min_forms: 1,
        }
    }

    /// Like [`new`](Self::new), but keeps only words that `words` turns into two or more
    /// tokens: the compounds, when `words` splits them.
    pub(crate) fn compounds_only(words: TextAnalyzer) -> Self {
        Self {
            words,
            min_forms: 2,
        }
    }
}

impl TokenFilter for Memoized {
    type Tokenizer<T: Tokenizer> = MemoizedTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MemoizedTokenizer<T> {
        MemoizedTokenizer {
            inner: tokenizer,
            words: self.words,
            min_forms: self.min_forms,
            memory: HashMap::default(),
            pending: Vec::new(),
        }
    }
}

/// The tokenizer of [`Memoized`]; it owns its memory, so no lock is shared between threads.
pub(crate) struct MemoizedTokenizer<T> {
    inner: T,
    words: TextAnalyzer,
    min_forms: usize,
    memory: Memory,
    /// Further forms of the current token, last first.
    pending: Vec<String>,
}

impl<T: Clone> Clone for MemoizedTokenizer<T> {
    /// A clone starts with an empty memory: analyzers are cloned for every query term, and
    /// copying thousands of remembered words there would cost more than it saves.
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            words: self.words.clone(),
            min_forms: self.min_forms,
            memory: HashMap::default(),
            pending: Vec::new(),
        }
    }
}

impl<T: Tokenizer> Tokenizer for MemoizedTokenizer<T> {
    type TokenStream<'a> = MemoizedStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        // A stream dropped halfway may have left forms behind.
        self.pending.clear();
        MemoizedStream {
            tail: self.inner.token_stream(text),
            words: &mut self.words,
            min_forms: self.min_forms,
            memory: &mut self.memory,
            pending: &mut self.pending,
        }
    }
}

/// The token stream of [`Memoized`].
pub(crate) struct MemoizedStream<'a, S> {
    tail: S,
    words: &'a mut TextAnalyzer,
    min_forms: usize,
    memory: &'a mut Memory,
    pending: &'a mut Vec<String>,
}

fn analyse(words: &mut TextAnalyzer, word: &str, min_forms: usize) -> Box<[String]> {
    let mut stream = words.token_stream(word);
    let mut forms = Vec::new();
    while let Some(token) = stream.next() {
        forms.push(token.text.clone());
    }
    if forms.len() < min_forms {
        forms.clear();
    }
    forms.into_boxed_slice()
}

impl<S: TokenStream> TokenStream for MemoizedStream<'_, S> {
    fn advance(&mut self) -> bool {
        if let Some(next) = self.pending.pop() {
            self.tail.token_mut().text = next;
            return true;
        }
        loop {
            if !self.tail.advance() {
                return false;
            }
            let token = self.tail.token_mut();
            let forms = match self.memory.get(token.text.as_str()) {
                Some(forms) => forms,
                None => {
                    if self.memory.len() >= MAX_REMEMBERED_WORDS {
                        self.memory.clear();
                    }
                    let forms = analyse(self.words, &token.text, self.min_forms);
                    self.memory.entry(token.text.clone()).or_insert(forms)
                }
            };
            // Every form keeps the token's position and offsets, as the filters themselves do.
            let Some((first, rest)) = forms.split_first() else {
                continue;
            };
            self.pending.extend(rest.iter().rev().cloned());
            token.text.clear();
            token.text.push_str(first);
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{
        LowerCaser, RawTokenizer, SimpleTokenizer, SplitCompoundWords, Stemmer,
    };

    use super::*;

    fn run(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.position, t.offset_from));
        }
        out
    }

    #[test]
    fn gives_what_the_filters_give_directly() {
        let split = || SplitCompoundWords::from_dictionary(["melde", "bescheinigung"]).unwrap();
        let mut direct = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(split())
            .filter(Stemmer::default())
            .build();
        let words = TextAnalyzer::builder(RawTokenizer::default())
            .filter(split())
            .filter(Stemmer::default())
            .build();
        let mut memoized = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Memoized::new(words))
            .build();
        let text = "Meldebescheinigung running runs Meldebescheinigung Xylophon runs";
        // Twice, so that the second pass is answered from memory.
        for _ in 0..2 {
            assert_eq!(run(&mut memoized, text), run(&mut direct, text));
        }
        assert_eq!(run(&mut memoized, "").len(), 0);
    }
}
