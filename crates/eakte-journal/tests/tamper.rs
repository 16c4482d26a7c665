//! Tamper sweep over an export of 1,000 entries: single-byte changes in every exported file,
//! deleted, duplicated and swapped entries, truncation, and a rollback against a kept checkpoint
//! are all detected, and for entries the verifier names the right first bad entry.
//!
//! By default every byte of every file but the two large ones is changed, and in `entries.jsonl`
//! and `payloads.jsonl` every byte of a fixed choice of entries (first, last, around each
//! checkpoint, with payloads) plus random positions, each changed in two ways. With
//! `EAKTE_TAMPER_EXHAUSTIVE=1` every byte of every file is changed (its lowest bit flipped) and the
//! export is truncated at every byte (about 20 minutes on two cores);
//! otherwise truncation is tried at every 29th byte of the large files and every line boundary.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use eakte_journal::export::{EXPORT_FILES, export};
use eakte_journal::verify::{VerifyFailure, verify_export};
use ed25519_dalek::VerifyingKey;
use rand::Rng;

const ENTRIES: u64 = 1000;

struct Export {
    key: VerifyingKey,
    files: Vec<(String, Vec<u8>)>,
    /// Byte offset where each line of entries.jsonl starts, and one past the end.
    entry_starts: Vec<usize>,
    /// For each line of payloads.jsonl, the entry it belongs to, and where each line starts.
    payload_owner: Vec<u64>,
    payload_starts: Vec<usize>,
}

fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts
}

/// The line that byte `pos` belongs to (its terminating `\n` included).
fn line_of(starts: &[usize], pos: usize) -> usize {
    starts.partition_point(|s| *s <= pos) - 1
}

fn make_export(root: &Path) -> (Export, PathBuf) {
    let journal = open(&root.join("journal"));
    for i in 0..ENTRIES {
        journal.append(event(i)).unwrap();
    }
    let dir = root.join("export");
    export(&journal, &dir, None, None).unwrap();
    let key = journal.public_key();
    let mut files = Vec::new();
    for name in EXPORT_FILES
        .iter()
        .chain(&["manifest.json", "manifest.sig"])
    {
        files.push((name.to_string(), std::fs::read(dir.join(name)).unwrap()));
    }
    let bytes = |name: &str| files.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let entries = bytes("entries.jsonl");
    let payloads = bytes("payloads.jsonl");
    let payload_owner = payloads
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let export = Export {
        key,
        entry_starts: line_starts(&entries),
        payload_starts: line_starts(&payloads),
        payload_owner,
        files,
    };
    assert_eq!(export.entry_starts.len() as u64, ENTRIES + 1);
    (export, dir)
}

/// A scratch copy of the export in which one file at a time is replaced.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(export: &Export, dir: PathBuf) -> Self {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &export.files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        Self { dir }
    }

    fn verify_with(&self, export: &Export, name: &str, bytes: &[u8]) -> Result<(), VerifyFailure> {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let result = verify_export(&self.dir, &export.key, &[]).map(|_| ());
        let original = &export.files.iter().find(|(n, _)| n == name).unwrap().1;
        std::fs::write(&path, original).unwrap();
        result
    }
}

fn exhaustive() -> bool {
    std::env::var("EAKTE_TAMPER_EXHAUSTIVE").is_ok_and(|v| v == "1")
}

/// The positions of `name` to change: all, or (for the two large files, unless exhaustive) every
/// byte of the chosen lines plus random positions.
fn positions(export: &Export, name: &str, len: usize) -> Vec<usize> {
    if exhaustive() || !matches!(name, "entries.jsonl" | "payloads.jsonl") {
        return (0..len).collect();
    }
    let starts = if name == "entries.jsonl" {
        &export.entry_starts
    } else {
        &export.payload_starts
    };
    let lines = starts.len() - 1;
    let mut chosen: BTreeSet<usize> = [0, 1, 2, lines - 2, lines - 1].into_iter().collect();
    if name == "entries.jsonl" {
        for boundary in (100..ENTRIES as usize).step_by(100) {
            chosen.extend([boundary - 1, boundary, boundary + 1]);
        }
    } else {
        chosen.extend([lines / 3, lines / 2]);
    }
    let mut out: BTreeSet<usize> = chosen
        .into_iter()
        .flat_map(|line| starts[line]..starts[line + 1])
        .collect();
    let mut rng = rng(len as u64);
    out.extend((0..600).map(|_| rng.random_range(0..len)));
    out.into_iter().collect()
}

/// The entry a change at `pos` of `name` must be blamed on; `None` for files where any failure
/// will do.
fn expected_entry(export: &Export, name: &str, pos: usize) -> Option<u64> {
    match name {
        "entries.jsonl" => Some(line_of(&export.entry_starts, pos) as u64),
        "payloads.jsonl" => Some(export.payload_owner[line_of(&export.payload_starts, pos)]),
        _ => None,
    }
}

fn rng(seed: u64) -> rand::rngs::StdRng {
    eakte_testkit::rng(seed)
}

/// Runs `check` over `items` on two threads, each with its own scratch copy.
fn in_parallel<T: Sync>(
    export: &Export,
    root: &Path,
    items: &[T],
    check: impl Fn(&Scratch, &T) + Sync,
) {
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let scratch = Scratch::new(export, root.join(format!("scratch{worker}")));
            let check = &check;
            scope.spawn(move || {
                for item in items.iter().skip(worker).step_by(2) {
                    check(&scratch, item);
                }
            });
        }
    });
}

#[test]
fn every_single_byte_change_is_detected_and_blamed_on_the_right_entry() {
    let root = tempfile::tempdir().unwrap();
    let (export, dir) = make_export(root.path());
    verify_export(&dir, &export.key, &[]).expect("the untouched export verifies");
    let mut jobs = Vec::new();
    for (name, bytes) in &export.files {
        for pos in positions(&export, name, bytes.len()) {
            jobs.push((name.clone(), pos));
        }
    }
    let mut rng = rng(7);
    let jobs: Vec<_> = jobs
        .into_iter()
        .map(|(name, pos)| (name, pos, rng.random_range(1..=255u8)))
        .collect();
    in_parallel(
        &export,
        root.path(),
        &jobs,
        |scratch, (name, pos, random)| {
            let original = &export.files.iter().find(|(n, _)| n == name).unwrap().1;
            // Flip the lowest bit, and replace the byte by another, random value.
            let changes: &[u8] = if exhaustive() { &[1] } else { &[1, *random] };
            for &change in changes {
                let mut bytes = original.clone();
                bytes[*pos] ^= change;
                let result = scratch.verify_with(&export, name, &bytes);
                let failure = result.expect_err(&format!(
                    "{name} byte {pos} ^ {change:#04x} was not detected"
                ));
                if let Some(expected) = expected_entry(&export, name, *pos) {
                    assert_eq!(
                        failure.entry,
                        Some(expected),
                        "{name} byte {pos} ^ {change:#04x}: {failure}"
                    );
                }
            }
        },
    );
    eprintln!(
        "{} single-byte positions changed {} each",
        jobs.len(),
        if exhaustive() { "once" } else { "twice" }
    );
}

fn with_lines(export: &Export, edit: impl Fn(&mut Vec<&[u8]>)) -> Vec<u8> {
    let entries = &export
        .files
        .iter()
        .find(|(n, _)| n == "entries.jsonl")
        .unwrap()
        .1;
    let mut lines: Vec<&[u8]> = entries.split(|b| *b == b'\n').collect();
    lines.pop();
    edit(&mut lines);
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

#[test]
fn deleted_duplicated_and_swapped_entries_are_named() {
    let root = tempfile::tempdir().unwrap();
    let (export, _) = make_export(root.path());
    let ks: Vec<usize> = (0..ENTRIES as usize).collect();
    in_parallel(&export, root.path(), &ks, |scratch, &k| {
        let cases: Vec<(&str, Vec<u8>, u64)> = vec![
            (
                "deleted",
                with_lines(&export, |l| {
                    l.remove(k);
                }),
                k as u64,
            ),
            (
                "duplicated",
                with_lines(&export, |l| l.insert(k + 1, l[k])),
                k as u64 + 1,
            ),
        ];
        let mut cases = cases;
        if k + 1 < ENTRIES as usize {
            cases.push((
                "swapped",
                with_lines(&export, |l| l.swap(k, k + 1)),
                k as u64,
            ));
        }
        for (what, bytes, expected) in cases {
            let failure = scratch
                .verify_with(&export, "entries.jsonl", &bytes)
                .expect_err(&format!("entry {k} {what} was not detected"));
            assert_eq!(failure.entry, Some(expected), "entry {k} {what}: {failure}");
        }
    });
}

#[test]
fn truncation_anywhere_is_detected() {
    let root = tempfile::tempdir().unwrap();
    let (export, _) = make_export(root.path());
    let mut jobs = Vec::new();
    for (name, bytes) in &export.files {
        let step = if exhaustive() || bytes.len() < 20_000 {
            1
        } else {
            29
        };
        let mut cuts: BTreeSet<usize> = (0..bytes.len()).step_by(step).collect();
        if name == "entries.jsonl" {
            // Every line boundary and the bytes beside it.
            for s in &export.entry_starts {
                cuts.extend(
                    [s.saturating_sub(1), *s, s + 1]
                        .into_iter()
                        .filter(|c| *c < bytes.len()),
                );
            }
        }
        jobs.extend(cuts.into_iter().map(|cut| (name.clone(), cut)));
    }
    in_parallel(&export, root.path(), &jobs, |scratch, (name, cut)| {
        let original = &export.files.iter().find(|(n, _)| n == name).unwrap().1;
        let failure = scratch
            .verify_with(&export, name, &original[..*cut])
            .expect_err(&format!("{name} cut at {cut} was not detected"));
        if name == "entries.jsonl" {
            assert_eq!(
                failure.entry,
                Some(line_of(&export.entry_starts, *cut) as u64),
                "{name} cut at {cut}: {failure}"
            );
        }
    });
    // A deleted file is detected too.
    let scratch = Scratch::new(&export, root.path().join("deleted"));
    for (name, _) in &export.files {
        std::fs::remove_file(scratch.dir.join(name)).unwrap();
        assert!(
            verify_export(&scratch.dir, &export.key, &[]).is_err(),
            "{name} deleted"
        );
        let bytes = &export.files.iter().find(|(n, _)| n == name).unwrap().1;
        std::fs::write(scratch.dir.join(name), bytes).unwrap();
    }
}

#[test]
fn a_rolled_back_export_fails_against_a_kept_checkpoint() {
    let root = tempfile::tempdir().unwrap();
    let journal = open(&root.path().join("journal"));
    for i in 0..600 {
        journal.append(event(i)).unwrap();
    }
    let old = root.path().join("old");
    export(&journal, &old, None, None).unwrap();
    for i in 600..ENTRIES {
        journal.append(event(i)).unwrap();
    }
    let kept = journal.checkpoint().unwrap();
    assert_eq!(kept.size, ENTRIES);
    let key = journal.public_key();
    // The old export is valid on its own: only the kept checkpoint shows it is a rollback.
    verify_export(&old, &key, &[]).unwrap();
    let failure = verify_export(&old, &key, std::slice::from_ref(&kept)).unwrap_err();
    assert_eq!(failure.entry, Some(600), "{failure}");
    // An export of the present state agrees with every checkpoint ever kept.
    let new = root.path().join("new");
    export(&journal, &new, None, None).unwrap();
    let report = verify_export(&new, &key, &journal.checkpoints()).unwrap();
    assert_eq!(report.kept_checked, journal.checkpoints().len());
}
