//! The Zipf-weighted vocabulary the corpus is drawn from.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::words::{CONTENT_WORDS, FUNCTION_WORDS, HEADS, MODIFIERS};
pub use crate::words::{FAMILIES, FIRST_NAMES, STREETS, SURNAMES};

/// The vocabulary in Zipf rank order with a table of cumulative weights to draw from.
pub struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    /// Function words first, then the content words, family forms and generated compounds in a
    /// seeded order, so that which content word is common depends only on the seed.
    pub fn new(seed: u64) -> Self {
        let mut content: Vec<String> = CONTENT_WORDS.iter().map(|w| (*w).to_owned()).collect();
        for (_, forms) in FAMILIES {
            content.extend(forms.iter().map(|w| (*w).to_owned()));
        }
        for m in MODIFIERS {
            for h in HEADS {
                content.push(format!("{m}{h}"));
            }
        }
        content.sort();
        content.dedup();
        let mut rng = eakte_benches::rng(seed ^ 0x766f_6361_6275_6c61);
        content.shuffle(&mut rng);
        // Three-part compounds make the long tail of rare words, after every real word.
        let mut tail = Vec::new();
        for a in MODIFIERS {
            for b in MODIFIERS.iter().filter(|b| *b != a) {
                for h in HEADS {
                    tail.push(format!("{a}{}{h}", b.to_lowercase()));
                }
            }
        }
        tail.shuffle(&mut rng);
        let mut words: Vec<String> = FUNCTION_WORDS.iter().map(|w| (*w).to_owned()).collect();
        words.extend(content);
        words.extend(tail);
        let mut cumulative = Vec::with_capacity(words.len());
        let mut sum = 0.0;
        for rank in 1..=words.len() {
            sum += 1.0 / (rank as f64).powf(1.05);
            cumulative.push(sum);
        }
        Self { words, cumulative }
    }

    /// A word drawn with probability falling with its rank.
    pub fn draw<'a>(&'a self, rng: &mut impl Rng) -> &'a str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.random_range(0.0..total);
        let i = self.cumulative.partition_point(|c| *c <= x);
        &self.words[i.min(self.words.len() - 1)]
    }

    /// The word at `rank` (0 is the most frequent).
    pub fn at(&self, rank: usize) -> &str {
        &self.words[rank.min(self.words.len() - 1)]
    }

    /// How many words there are.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Rank of the first content word: the ranks before it are function words.
    pub fn first_content_rank(&self) -> usize {
        FUNCTION_WORDS.len()
    }
}

/// Draws one element of a list with Zipf-like weights (the first is the most frequent).
pub fn zipf_pick<'a>(rng: &mut impl Rng, list: &[&'a str]) -> &'a str {
    // The square of a uniform draw crowds the low indices, which is close enough to Zipf for
    // names and streets and costs no table.
    let u: f64 = rng.random_range(0.0..1.0);
    list[((u * u) * list.len() as f64) as usize % list.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequent_words_come_first() {
        let vocab = Vocabulary::new(1);
        let mut rng = eakte_benches::rng(5);
        let mut top = 0;
        let mut tail = 0;
        let draws = 100_000;
        for _ in 0..draws {
            let w = vocab.draw(&mut rng);
            if w == vocab.at(0) {
                top += 1;
            }
            if w == vocab.at(vocab.len() - 1) {
                tail += 1;
            }
        }
        assert!(top > draws / 20, "the top word drew only {top} of {draws}");
        assert!(
            tail < top / 100,
            "the last word drew {tail}, the top word {top}"
        );
        assert!(vocab.len() > 3000);
    }

    #[test]
    fn every_family_form_starts_with_its_prefix() {
        for (prefix, forms) in FAMILIES {
            for form in *forms {
                assert!(
                    form.to_lowercase().starts_with(prefix),
                    "{form} vs {prefix}"
                );
            }
        }
    }
}
