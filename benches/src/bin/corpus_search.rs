//! Corpus check of filing and search: the whole shared corpus is filed with one `eakte ingest`
//! (into the inbox), and for every file with ground-truth text or asserted phrases, a
//! distinctive phrase of that text is searched; the file must be among the hits. Prints recall
//! (found among all hits, and within the top 10) and the misses with their reason.
//!
//! A miss is put down to extraction when the phrase is not in the text eakte extracted from the
//! file (`eakte document show --text`): no text at all, OCR errors, a text layer without word
//! spaces. A miss whose phrase *is* in the extracted text is a search failure.
//!
//! Usage: corpus-search --eakte PATH [--corpus DIR] [--data DIR] [--min-recall 0.7]
//! Exit 0 when there is no search failure and recall is at least the minimum; 1 otherwise.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use serde_json::Value;

/// Words in a searched phrase.
const PHRASE_WORDS: usize = 3;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut eakte = None;
    let mut corpus = PathBuf::from("../shared/corpus");
    let mut data = None;
    let mut min_recall = 0.7;
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("missing value");
        match arg.as_str() {
            "--eakte" => eakte = Some(PathBuf::from(value()?)),
            "--corpus" => corpus = PathBuf::from(value()?),
            "--data" => data = Some(PathBuf::from(value()?)),
            "--min-recall" => min_recall = value()?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    let eakte = eakte.context("--eakte PATH is required")?;
    let scratch = tempfile::tempdir()?;
    let data = data.unwrap_or_else(|| scratch.path().join("data"));
    let index = eakte_benches::ground_truth_index(&corpus)?;
    println!("corpus-search: {}", eakte_benches::machine());

    // One ingest of everything.
    let (out, ingest_time) = eakte_benches::time(|| {
        Command::new(&eakte)
            .arg("--data")
            .arg(&data)
            .arg("ingest")
            .arg(&corpus)
            .env("EAKTE_EXTRACT_TIMEOUT_SECONDS", "120")
            .output()
    });
    let out = out.context("run eakte ingest")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = stderr.lines().rev().find(|l| l.starts_with("ingest:"));
    println!(
        "corpus-search: ingest of {} took {:.0} s (exit {:?}): {}",
        corpus.display(),
        ingest_time.as_secs_f64(),
        out.status.code(),
        summary.unwrap_or("(no summary)")
    );
    let mut ids: HashMap<PathBuf, String> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((id, path)) = line.split_once("  ") {
            ids.insert(PathBuf::from(path), id.to_owned());
        }
    }
    let no_text: HashMap<PathBuf, String> = stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("eakte: ")?;
            let (path, reason) = rest.split_once(": filed, but no text could be extracted ")?;
            Some((PathBuf::from(path), reason.to_owned()))
        })
        .collect();

    // Ground-truth texts by file.
    let mut truths: BTreeMap<String, String> = BTreeMap::new();
    for (name, entry) in &index {
        if let Some(text) = truth_text(&corpus, entry)? {
            truths.insert(name.clone(), text);
        }
    }
    // How many truths each word occurs in: a phrase of rare words is distinctive.
    let mut document_frequency: HashMap<String, usize> = HashMap::new();
    for text in truths.values() {
        let mut seen: Vec<String> = words(text);
        seen.sort();
        seen.dedup();
        for word in seen {
            *document_frequency.entry(word).or_default() += 1;
        }
    }

    let mut checked = 0;
    let mut found = 0;
    let mut found_top10 = 0;
    let mut must_find_missed = Vec::new();
    let mut misses = Vec::new();
    for (name, text) in &truths {
        let path = corpus.join(name);
        let Some(id) = ids.get(&path) else {
            // Counted as checked: a file the ingest did not file is a failure of the check.
            checked += 1;
            misses.push(format!("{name}: not filed"));
            must_find_missed.push(name.clone());
            continue;
        };
        let Some(phrase) = distinctive_phrase(text, &document_frequency) else {
            continue;
        };
        checked += 1;
        let query = format!("\"{phrase}\"");
        let out = Command::new(&eakte)
            .arg("--data")
            .arg(&data)
            .args(["search", "--json", "--limit", "1000", &query])
            .output()
            .context("run eakte search")?;
        ensure!(
            out.status.success(),
            "search {query} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let result: Value = serde_json::from_slice(&out.stdout)?;
        let rank = result["hits"]
            .as_array()
            .and_then(|hits| hits.iter().position(|h| h["document_id"] == id.as_str()));
        match rank {
            Some(rank) => {
                found += 1;
                if rank < 10 {
                    found_top10 += 1;
                }
            }
            None => {
                let reason = match no_text.get(&path) {
                    Some(code) => format!("extraction: no text {code}"),
                    None if extracted_contains(&eakte, &data, id, &phrase)? => {
                        must_find_missed.push(name.clone());
                        "SEARCH FAILURE: the extracted text has the phrase".to_owned()
                    }
                    None => "extraction: the extracted text lacks the phrase".to_owned(),
                };
                misses.push(format!("{name}: {query}: {reason}"));
            }
        }
    }
    let recall = found as f64 / checked.max(1) as f64;
    println!(
        "corpus-search: {checked} files with ground truth searched by a phrase; found {found} \
         (recall {:.3}), {found_top10} within the top 10 ({:.3})",
        recall,
        found_top10 as f64 / checked.max(1) as f64
    );
    for miss in &misses {
        println!("  miss: {miss}");
    }
    let passed = recall >= min_recall && must_find_missed.is_empty();
    // A file passes when it is found, or when its miss is the extraction's (the phrase is not in
    // the extracted text); it fails when search missed a phrase its text has.
    println!(
        "corpus-search: {} passed, {} failed",
        checked - must_find_missed.len(),
        must_find_missed.len()
    );
    if !passed {
        bail!(
            "recall {recall:.3} (minimum {min_recall}); {} search failure(s)",
            must_find_missed.len()
        );
    }
    Ok(())
}

/// Lowercase, the long s as s, whitespace runs as one space.
fn normalise(text: &str) -> String {
    let lower = text.to_lowercase().replace('ſ', "s");
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the text eakte extracted from the document contains the phrase.
fn extracted_contains(eakte: &Path, data: &Path, id: &str, phrase: &str) -> anyhow::Result<bool> {
    let out = Command::new(eakte)
        .arg("--data")
        .arg(data)
        .args(["document", "show", "--text", "--json", id])
        .output()
        .context("run eakte document show")?;
    ensure!(
        out.status.success(),
        "document show {id} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let view: Value = serde_json::from_slice(&out.stdout)?;
    let pages = view["text"]["pages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let text: Vec<&str> = pages.iter().filter_map(|p| p["text"].as_str()).collect();
    Ok(normalise(&text.join("\n")).contains(&normalise(phrase)))
}

/// The ground-truth text of a corpus file: a full transcription, an exact text, the expected
/// extraction, or the asserted substrings joined.
fn truth_text(corpus: &Path, entry: &Value) -> anyhow::Result<Option<String>> {
    let Some(truths) = entry["ground_truth"].as_array() else {
        return Ok(None);
    };
    for truth in truths {
        match truth["type"].as_str() {
            Some("full_text" | "expected_extraction") => {
                if let Some(file) = truth["file"].as_str() {
                    let bytes =
                        std::fs::read(corpus.join(file)).with_context(|| file.to_owned())?;
                    return Ok(Some(String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
            Some("exact_text") => return Ok(truth["value"].as_str().map(str::to_owned)),
            Some("expected_substrings" | "expected_substrings_ordered") => {
                if let Some(values) = truth["values"].as_array() {
                    let joined: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
                    // Each asserted substring stands alone: phrases must not span two of them.
                    return Ok(Some(joined.join("\n\n")));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Lowercase words of letters (of any script), three or more long.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

/// Three consecutive words of one line, each of three or more letters, whose rarest word occurs
/// in the fewest ground truths (ties: the first such run); or one word when no line has three.
fn distinctive_phrase(text: &str, document_frequency: &HashMap<String, usize>) -> Option<String> {
    let mut best: Option<(usize, usize, String)> = None;
    for line in text.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        for window in tokens.windows(PHRASE_WORDS) {
            let clean = window
                .iter()
                .all(|t| t.chars().count() >= 3 && t.chars().all(char::is_alphabetic));
            if !clean {
                continue;
            }
            let frequencies: Vec<usize> = window
                .iter()
                .map(|w| {
                    document_frequency
                        .get(&w.to_lowercase())
                        .copied()
                        .unwrap_or(0)
                })
                .collect();
            let rarest = frequencies.iter().copied().min().unwrap_or(0);
            let total: usize = frequencies.iter().sum();
            if best
                .as_ref()
                .is_none_or(|(r, t, _)| (rarest, total) < (*r, *t))
            {
                best = Some((rarest, total, window.join(" ")));
            }
        }
    }
    best.map(|(_, _, phrase)| phrase).or_else(|| {
        words(text)
            .into_iter()
            .min_by_key(|w| document_frequency.get(w).copied().unwrap_or(0))
    })
}
