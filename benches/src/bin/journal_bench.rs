//! Journal benchmark: durable appends with 1, 8 and 64 concurrent writers against the raw
//! write+fsync rate of the same disk, and offline verification of an export of 10^6 entries
//! against blake3-hashing the same bytes.
//!
//! Run: `cargo run --release -p eakte-benches --bin journal-bench -- [--dir DIR] [--entries N] [--seconds S]`

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use eakte_benches::{machine, time};
use eakte_config::JournalConfig;
use eakte_journal::export::export;
use eakte_journal::verify::verify_export;
use eakte_journal::{Actor, Journal, NewEvent, Outcome, action};

fn event(i: u64) -> NewEvent {
    let mut event = NewEvent::new(
        Actor {
            user: format!("user{}", i % 50),
            role: "clerk".into(),
            unit: Some("33.10".into()),
            client: Some("10.0.0.7".into()),
        },
        if i.is_multiple_of(3) {
            action::SEARCH_EXECUTED
        } else {
            action::DOCUMENT_READ
        },
        Outcome::Ok,
    )
    .object("document", format!("9f1c2e4a-0000-4000-8000-{i:012}"));
    if i.is_multiple_of(3) {
        event = event.personal("query", "Meldebescheinigung Müller");
    }
    event
}

/// Writes of about an entry's size, each followed by fdatasync: what one unbatched durable
/// append cannot beat on this disk.
fn raw_fsync_rate(dir: &Path, seconds: f64) -> anyhow::Result<f64> {
    let path = dir.join("raw-fsync");
    let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
    let record = [b'x'; 400];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        file.write_all(&record)?;
        file.sync_data()?;
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    Ok(rate)
}

fn append_rate(dir: &Path, writers: u64, seconds: f64) -> anyhow::Result<f64> {
    let journal_dir = dir.join(format!("append-{writers}"));
    let journal = Journal::open(&journal_dir, &JournalConfig::default())?;
    let count = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let (journal, count, stop) = (&journal, &count, &stop);
                scope.spawn(move || -> anyhow::Result<()> {
                    let mut i = w;
                    while !stop.load(Ordering::Relaxed) {
                        journal.append(event(i))?;
                        count.fetch_add(1, Ordering::Relaxed);
                        i += writers;
                    }
                    Ok(())
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs_f64(seconds));
        stop.store(true, Ordering::Relaxed);
        for handle in handles {
            handle.join().expect("writer thread")?;
        }
        Ok(())
    })?;
    let rate = count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    journal.close()?;
    std::fs::remove_dir_all(&journal_dir)?;
    Ok(rate)
}

fn main() -> anyhow::Result<()> {
    let mut dir: Option<PathBuf> = None;
    let mut entries = 1_000_000u64;
    let mut seconds = 5.0f64;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--dir" => dir = Some(it.next().context("--dir needs a directory")?.into()),
            "--entries" => entries = it.next().context("--entries needs a count")?.parse()?,
            "--seconds" => seconds = it.next().context("--seconds needs a number")?.parse()?,
            other => {
                anyhow::bail!("unknown argument {other}; use --dir DIR, --entries N, --seconds S")
            }
        }
    }
    let tmp = match &dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir_in(".")?,
    };
    let root = tmp.path();
    println!("machine: {}", machine());
    println!("directory: {}", root.display());

    // The disk's fsync rate drifts on a shared machine: measure it right before and right after
    // each append phase and compare with the mean of the two.
    for writers in [1u64, 8, 64] {
        let before = raw_fsync_rate(root, seconds)?;
        let rate = append_rate(root, writers, seconds)?;
        let after = raw_fsync_rate(root, seconds)?;
        let raw = (before + after) / 2.0;
        println!(
            "durable appends, {writers:>2} writers: {rate:.0} entries/s; raw write+fdatasync {before:.0} /s before, {after:.0} /s after: {:.2}× their mean",
            rate / raw
        );
    }

    // Verification of a large export.
    let journal_dir = root.join("large");
    let journal = Journal::open(&journal_dir, &JournalConfig::default())?;
    let next = AtomicU64::new(0);
    let ((), fill) = time(|| {
        std::thread::scope(|scope| {
            for _ in 0..64 {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= entries {
                            break;
                        }
                        journal.append(event(i)).expect("append");
                    }
                });
            }
        })
    });
    println!(
        "filled {entries} entries with 64 writers in {:.1} s",
        fill.as_secs_f64()
    );
    let out = root.join("export");
    let (summary, export_time) = time(|| export(&journal, &out, None, None));
    let summary = summary?;
    println!(
        "export of {} entries, {} checkpoints: {:.2} s",
        summary.end,
        summary.checkpoints,
        export_time.as_secs_f64()
    );
    let key = journal.public_key();
    journal.close()?;
    for pass in [
        "reads every segment in full, writes summaries",
        "from the summaries",
    ] {
        let (journal, open_time) = time(|| Journal::open(&journal_dir, &JournalConfig::default()));
        let journal = journal?;
        println!(
            "open of {} entries ({pass}): {:.2} s",
            journal.size(),
            open_time.as_secs_f64()
        );
        journal.close()?;
    }
    let entries_bytes = std::fs::read(out.join("entries.jsonl"))?;
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..3 {
        let (result, elapsed) = time(|| verify_export(&out, &key, &[]));
        report = Some(result.map_err(|e| anyhow::anyhow!("{e}"))?);
        times.push(elapsed.as_secs_f64());
    }
    let report = report.expect("three runs");
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let verify_time = Duration::from_secs_f64(sorted[1]);
    println!(
        "verify {} entries ({} payloads, {} checkpoints): median {:.3} s of {times:.3?}",
        report.end,
        report.payloads,
        report.checkpoints,
        verify_time.as_secs_f64()
    );
    let (_, whole) = time(|| blake3::hash(&entries_bytes));
    let (_, per_leaf) = time(|| {
        entries_bytes
            .split(|b| *b == b'\n')
            .fold(0u8, |acc, line| acc ^ blake3::hash(line).as_bytes()[0])
    });
    println!(
        "baseline: blake3 over entries.jsonl ({:.0} MB) in one call {:.3} s, per entry {:.3} s; verify is {:.1}× per-entry hashing",
        entries_bytes.len() as f64 / 1e6,
        whole.as_secs_f64(),
        per_leaf.as_secs_f64(),
        verify_time.as_secs_f64() / per_leaf.as_secs_f64()
    );
    Ok(())
}
