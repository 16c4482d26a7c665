//! The query set: each question written once in eakte's query language and once for SQLite FTS5.

use chrono::{Duration, NaiveDate};
use rand::Rng;

use crate::corpus::{DOC_TYPES, Generator, PLAN_CODES, SPAN_DAYS, first_day};
use crate::vocab::{FAMILIES, FIRST_NAMES, SURNAMES, zipf_pick};

/// What a query exercises; results are reported per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// One of the most frequent content words.
    CommonTerm,
    /// A word from the tail of the vocabulary.
    RareTerm,
    /// Two words, both required.
    And2,
    /// Three words, all required.
    And3,
    /// Adjacent words in order.
    Phrase,
    /// A word prefix such as `Anmeld*`.
    Prefix,
    /// An inflected form that should find the other forms of its word.
    Stem,
    /// One Aktenzeichen, exactly.
    Aktenzeichen,
    /// A word within a plan code prefix.
    FilterPlan,
    /// A word within one document type.
    FilterType,
    /// A word within a range of days received.
    FilterDate,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 11] = [
        Kind::CommonTerm,
        Kind::RareTerm,
        Kind::And2,
        Kind::And3,
        Kind::Phrase,
        Kind::Prefix,
        Kind::Stem,
        Kind::Aktenzeichen,
        Kind::FilterPlan,
        Kind::FilterType,
        Kind::FilterDate,
    ];

    /// A short name for the report.
    pub fn name(self) -> &'static str {
        match self {
            Kind::CommonTerm => "common term",
            Kind::RareTerm => "rare term",
            Kind::And2 => "2 words AND",
            Kind::And3 => "3 words AND",
            Kind::Phrase => "phrase",
            Kind::Prefix => "prefix",
            Kind::Stem => "inflected form (stem)",
            Kind::Aktenzeichen => "Aktenzeichen exact",
            Kind::FilterPlan => "word + plan prefix",
            Kind::FilterType => "word + type",
            Kind::FilterDate => "word + received range",
        }
    }
}

/// Metadata conditions; eakte takes them as its `Filter`, FTS5 as WHERE on UNINDEXED columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    /// Plan code prefix without the `.*`, such as `33`.
    pub plan_prefix: Option<String>,
    /// Document type.
    pub doc_type: Option<String>,
    /// First and last day received, inclusive.
    pub received: Option<(NaiveDate, NaiveDate)>,
}

/// One question for both engines.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// What it exercises.
    pub kind: Kind,
    /// eakte's query language.
    pub eakte: String,
    /// The FTS5 MATCH expression.
    pub fts: String,
    /// Metadata conditions for both.
    pub conditions: Conditions,
}

/// A word quoted for FTS5, so that no word is ever read as an operator.
fn fts_word(w: &str) -> String {
    format!("\"{}\"", w.replace('"', "\"\""))
}

/// Words of a document's body, letters only, in order.
fn body_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .collect()
}

/// The query set for a corpus of `docs` documents: `count` queries, kinds in turn.
pub fn queries(generator: &Generator, seed: u64, docs: u64, count: usize) -> Vec<Query> {
    let mut rng = eakte_benches::rng(seed ^ 0x7175_6572_7973);
    let vocab = generator.vocab();
    let content = vocab.first_content_rank();
    let common =
        |rng: &mut rand::rngs::StdRng| vocab.at(content + rng.random_range(0..40)).to_owned();
    let rare = |rng: &mut rand::rngs::StdRng| {
        vocab
            .at(rng.random_range(vocab.len() * 3 / 4..vocab.len()))
            .to_owned()
    };
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let kind = Kind::ALL[i % Kind::ALL.len()];
        let plain = |words: &[String]| Query {
            kind,
            eakte: words.join(" "),
            fts: words
                .iter()
                .map(|w| fts_word(w))
                .collect::<Vec<_>>()
                .join(" "),
            conditions: Conditions::default(),
        };
        let q = match kind {
            Kind::CommonTerm => plain(&[common(&mut rng)]),
            Kind::RareTerm => {
                // Half are tail words of the vocabulary, half a Kassenzeichen of one document,
                // which is about as rare as a term gets.
                let doc = generator.doc(rng.random_range(0..docs));
                let kassenzeichen = doc
                    .body
                    .split("Kassenzeichen ")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .filter(|k| k.bytes().all(|b| b.is_ascii_digit()));
                match kassenzeichen {
                    Some(k) if rng.random_bool(0.5) => plain(&[k.to_owned()]),
                    _ => plain(&[rare(&mut rng)]),
                }
            }
            Kind::And2 | Kind::And3 => {
                let n = if kind == Kind::And2 { 2 } else { 3 };
                // Half the time the words come from one document, so that some queries have
                // few but certain hits; otherwise they are drawn like the text itself.
                let words: Vec<String> = if rng.random_bool(0.5) {
                    let doc = generator.doc(rng.random_range(0..docs));
                    let words = body_words(&doc.body);
                    (0..n)
                        .map(|_| words[rng.random_range(0..words.len())].to_owned())
                        .collect()
                } else {
                    (0..n).map(|_| vocab.draw(&mut rng).to_owned()).collect()
                };
                plain(&words)
            }
            Kind::Phrase => {
                let words: Vec<String> = if rng.random_bool(0.5) {
                    vec![
                        zipf_pick(&mut rng, FIRST_NAMES).to_owned(),
                        zipf_pick(&mut rng, SURNAMES).to_owned(),
                    ]
                } else {
                    let doc = generator.doc(rng.random_range(0..docs));
                    let words = body_words(&doc.body);
                    let at = rng.random_range(0..words.len() - 1);
                    words[at..at + 2].iter().map(|w| (*w).to_owned()).collect()
                };
                Query {
                    kind,
                    eakte: format!("\"{}\"", words.join(" ")),
                    fts: format!("\"{}\"", words.join(" ")),
                    conditions: Conditions::default(),
                }
            }
            Kind::Prefix => {
                let (prefix, forms) = FAMILIES[rng.random_range(0..FAMILIES.len())];
                let cut: String = prefix
                    .chars()
                    .take(prefix.chars().count().clamp(4, 6))
                    .collect();
                // eakte's prefix is written as a user would, capitalised like the word.
                let eakte_prefix: String = forms[0].chars().take(cut.chars().count()).collect();
                Query {
                    kind,
                    eakte: format!("{eakte_prefix}*"),
                    fts: format!("{}*", fts_word(&cut)),
                    conditions: Conditions::default(),
                }
            }
            Kind::Stem => {
                let (prefix, forms) = FAMILIES[rng.random_range(0..FAMILIES.len())];
                let form = forms[rng.random_range(0..forms.len())];
                // FTS5 has no German stemmer; its nearest question is the family's prefix.
                Query {
                    kind,
                    eakte: form.to_owned(),
                    fts: format!("{}*", fts_word(prefix)),
                    conditions: Conditions::default(),
                }
            }
            Kind::Aktenzeichen => {
                let (az, _) = generator.akte(rng.random_range(0..generator.akten()));
                // unicode61 splits `33.10-0042/2026` into four tokens; the phrase of them in the
                // az column is FTS5's exact match.
                let tokens: Vec<&str> = az.split(|c: char| !c.is_ascii_digit()).collect();
                Query {
                    kind,
                    eakte: format!("az:\"{az}\""),
                    fts: format!("az : \"{}\"", tokens.join(" ")),
                    conditions: Conditions::default(),
                }
            }
            Kind::FilterPlan | Kind::FilterType | Kind::FilterDate => {
                let mut q = plain(&[common(&mut rng)]);
                match kind {
                    Kind::FilterPlan => {
                        let (code, _) = PLAN_CODES[rng.random_range(0..PLAN_CODES.len())];
                        let prefix = if rng.random_bool(0.5) {
                            &code[..2]
                        } else {
                            code
                        };
                        q.conditions.plan_prefix = Some(prefix.to_owned());
                    }
                    Kind::FilterType => {
                        q.conditions.doc_type = Some(zipf_pick(&mut rng, DOC_TYPES).to_owned());
                    }
                    _ => {
                        let from = first_day() + Duration::days(rng.random_range(0..SPAN_DAYS));
                        let to = from + Duration::days(rng.random_range(7..120));
                        q.conditions.received = Some((from, to));
                    }
                }
                q
            }
        };
        out.push(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_queries_and_every_kind_present() {
        let generator = Generator::new(11, 1000);
        let a = queries(&generator, 11, 1000, 1100);
        let b = queries(&generator, 11, 1000, 1100);
        assert_eq!(a, b);
        for kind in Kind::ALL {
            assert!(
                a.iter().filter(|q| q.kind == kind).count() >= 90,
                "{kind:?}"
            );
        }
        let other = queries(&Generator::new(12, 1000), 12, 1000, 1100);
        assert_ne!(a, other);
    }

    #[test]
    fn aktenzeichen_queries_name_a_real_akte() {
        let generator = Generator::new(2, 500);
        let all: Vec<String> = (0..500).map(|n| generator.doc(n).aktenzeichen).collect();
        let qs = queries(&generator, 2, 500, 220);
        for q in qs.iter().filter(|q| q.kind == Kind::Aktenzeichen) {
            let az = q.eakte.trim_start_matches("az:\"").trim_end_matches('"');
            assert!(az.parse::<eakte_types::Aktenzeichen>().is_ok(), "{az}");
        }
        // Not every Akte need have a document in a small corpus, but most do.
        let found = qs
            .iter()
            .filter(|q| q.kind == Kind::Aktenzeichen)
            .filter(|q| all.iter().any(|a| q.eakte.contains(a.as_str())))
            .count();
        assert!(
            found >= 10,
            "only {found} Aktenzeichen queries name a filed document"
        );
    }
}
