//! Snippets: a short passage of a hit's text with the words that matched the query marked
//! as `<b>`…`</b>`, everything else HTML-escaped.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::analysis::{Analysis, Analyzers};
use crate::memo::WordHashing;
use crate::query::parse::{Node, Scope, TextTerm};

/// Length of a snippet in bytes of source text.
const WINDOW_BYTES: usize = 240;
/// How much text before the first match a snippet shows.
const LEAD_BYTES: usize = 60;
/// Only this much of a document is searched for a passage, which keeps the cost of a page of
/// hits bounded; when every match lies beyond it, the snippet is the title.
const SCAN_BYTES: usize = 64 * 1024;

/// A byte range `from..to` in a text.
type Range = (usize, usize);

/// What counts as a match in the text, derived from the positive words of a query.
#[derive(Debug, Default)]
pub(crate) struct Highlighter {
    german: HashSet<String>,
    english: HashSet<String>,
    parts: HashSet<String>,
    prefixes: Vec<String>,
    fuzzy: Vec<(Vec<char>, u8)>,
    /// Substrings one of which a folded word must contain to be examined at all; stemming
    /// is far more expensive than this test.
    keys: Vec<String>,
    /// Whether a folded word matches, remembered over all hits of a page: they share most
    /// of their words.
    known: RefCell<HashMap<String, bool, WordHashing>>,
}

impl Highlighter {
    /// Collects the words of every non-negated text term of `node`.
    pub(crate) fn new(node: &Node, analyzers: &Analyzers) -> Self {
        let mut h = Self::default();
        h.collect(node, analyzers);
        h.keys.sort();
        h.keys.dedup();
        h
    }

    fn key(&mut self, stem: &str) {
        // A stem may end differently from its word (English "happi" of "happy"), so the key
        // leaves the stem's last letter off.
        let chars: Vec<char> = stem.chars().collect();
        let keep = if chars.len() > 3 {
            chars.len() - 1
        } else {
            chars.len()
        };
        self.keys.push(chars[..keep].iter().collect());
    }

    fn collect(&mut self, node: &Node, analyzers: &Analyzers) {
        match node {
            Node::And(items) | Node::Or(items) => {
                for item in items {
                    self.collect(item, analyzers);
                }
            }
            Node::Text { scope, term, .. } => match term {
                TextTerm::Word(w) | TextTerm::Phrase(w) => {
                    for t in analyzers.terms(Analysis::German, w) {
                        self.key(&t);
                        self.german.insert(t);
                    }
                    for t in analyzers.terms(Analysis::English, w) {
                        self.key(&t);
                        self.english.insert(t);
                    }
                    if *scope != Scope::Title {
                        for t in analyzers.terms(Analysis::Parts, w) {
                            self.key(&t);
                            self.parts.insert(t);
                        }
                    }
                }
                TextTerm::Prefix(p) => {
                    for t in analyzers.terms(Analysis::Folded, p) {
                        self.keys.push(t.clone());
                        self.prefixes.push(t);
                    }
                }
                TextTerm::Fuzzy(w, d) => {
                    for t in analyzers.terms(Analysis::Folded, w) {
                        self.fuzzy.push((t.chars().collect(), *d));
                    }
                }
            },
            // Negated words are absent from a hit, and metadata fields are not in its text.
            _ => {}
        }
    }

    fn matches(&self, analyzers: &Analyzers, folded: &str) -> bool {
        if self
            .fuzzy
            .iter()
            .any(|(w, d)| within_distance(w, folded, usize::from(*d)))
        {
            return true;
        }
        if !self.keys.iter().any(|k| folded.contains(k.as_str())) {
            return false;
        }
        if self.prefixes.iter().any(|p| folded.starts_with(p.as_str())) {
            return true;
        }
        let (german, english, parts) = analyzers.word_forms(folded);
        self.german.contains(&german)
            || self.english.contains(&english)
            || parts.iter().any(|p| self.parts.contains(p))
    }

    /// The snippet of a hit: the best passage of `body`, else the title, marked up.
    pub(crate) fn snippet(&self, analyzers: &Analyzers, body: &str, title: &str) -> String {
        let mut end = body.len().min(SCAN_BYTES);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let body = &body[..end];
        let mut known = self.known.borrow_mut();
        // Every word's range (for cutting the passage at word boundaries) and the matches.
        let mut scan = |text: &str| -> (Vec<Range>, Vec<Range>) {
            let mut words = Vec::new();
            let mut marks = Vec::new();
            analyzers.for_each_folded(text, |from, to, folded| {
                words.push((from, to));
                let hit = match known.get(folded) {
                    Some(&hit) => hit,
                    None => {
                        let hit = self.matches(analyzers, folded);
                        known.insert(folded.to_owned(), hit);
                        hit
                    }
                };
                if hit {
                    marks.push((from, to));
                }
            });
            (words, marks)
        };
        let (words, marks) = scan(body);
        if marks.is_empty() {
            let (_, title_marks) = scan(title);
            return mark_up(title, 0, title.len(), &title_marks);
        }
        // The passage starts shortly before the match with the most other matches after it
        // within one window.
        let best = (0..marks.len())
            .max_by_key(|&i| {
                let count = marks[i..]
                    .iter()
                    .take_while(|m| m.0 < marks[i].0 + WINDOW_BYTES)
                    .count();
                (count, std::cmp::Reverse(i))
            })
            .unwrap_or(0);
        let anchor = marks[best].0;
        let tokens = words;
        // Near the beginning the passage starts with the text; otherwise at a word start.
        let start = if anchor <= LEAD_BYTES {
            0
        } else {
            tokens
                .iter()
                .map(|t| t.0)
                .find(|&s| s + LEAD_BYTES >= anchor)
                .unwrap_or(anchor)
                .min(anchor)
        };
        let stop = tokens
            .iter()
            .map(|t| t.1)
            .filter(|&e| e <= start + WINDOW_BYTES)
            .max()
            .unwrap_or(marks[best].1)
            .max(marks[best].1);
        mark_up(body, start, stop, &marks)
    }
}

/// `text[start..stop]` escaped, with the marked ranges inside it in `<b>`, and ellipses where
/// text was cut.
fn mark_up(text: &str, start: usize, stop: usize, marks: &[(usize, usize)]) -> String {
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(from, to) in marks.iter().filter(|m| m.0 >= start && m.1 <= stop) {
        escape_into(&mut out, &text[at..from]);
        out.push_str("<b>");
        escape_into(&mut out, &text[from..to]);
        out.push_str("</b>");
        at = to;
    }
    escape_into(&mut out, &text[at..stop]);
    if stop < text.len() {
        out.push('…');
    }
    out
}

/// Appends `text` with the HTML special characters escaped.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
}

/// Whether the edit distance (with adjacent transpositions) of `a` and `b` is at most `max`.
fn within_distance(a: &[char], b: &str, max: usize) -> bool {
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    // Optimal string alignment distance over three rows.
    let n = b.len();
    let mut prev2: Vec<usize> = vec![0; n + 1];
    let mut prev: Vec<usize> = (0..=n).collect();
    let mut cur = vec![0; n + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[n] <= max
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse::parse;

    #[test]
    fn escapes_and_marks() {
        let a = Analyzers::new().unwrap();
        let h = Highlighter::new(&parse("Anmeldung").unwrap(), &a);
        let s = h.snippet(&a, "<x> & Anmeldungen des Wohnsitzes", "Titel");
        assert_eq!(s, "&lt;x&gt; &amp; <b>Anmeldungen</b> des Wohnsitzes");
    }

    #[test]
    fn falls_back_to_title() {
        let a = Analyzers::new().unwrap();
        let h = Highlighter::new(&parse("Bescheid").unwrap(), &a);
        assert_eq!(
            h.snippet(&a, "nichts hier", "Bescheid über <Gebühren>"),
            "<b>Bescheid</b> über &lt;Gebühren&gt;"
        );
    }

    #[test]
    fn long_text_is_cut_around_the_match() {
        let a = Analyzers::new().unwrap();
        let h = Highlighter::new(&parse("Urkunde").unwrap(), &a);
        let body = format!(
            "{} Geburtsurkunde {}",
            "wort ".repeat(200),
            "ende ".repeat(200)
        );
        let s = h.snippet(&a, &body, "t");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<b>Geburtsurkunde</b>"), "{s}");
        assert!(s.len() < WINDOW_BYTES + 40, "{}", s.len());
    }

    #[test]
    fn edit_distance() {
        let w: Vec<char> = "meldebescheinigng".chars().collect();
        assert!(within_distance(&w, "meldebescheinigung", 1));
        assert!(!within_distance(&w, "meldebestaetigung", 2));
        let t: Vec<char> = "abcd".chars().collect();
        assert!(within_distance(&t, "abdc", 1));
    }
}
