//! Crash test: a child process puts blobs in a loop and reports each acknowledged id; the parent
//! kills it with SIGKILL at random moments (segments are small, so many kills land during a
//! roll-over), reopens the store, and checks that every acknowledged blob is there and verifies.

mod common;

use std::io::Write;
use std::time::Duration;

use common::*;
use eakte_store::{BlobStore, PIECE_LEN};
use rand::Rng;

const CHILD_DIR: &str = "EAKTE_CRASH_CHILD_DIR";
const CHILD_SEED: &str = "EAKTE_CRASH_CHILD_SEED";
/// Kills at least this many times.
const CYCLES: u64 = 100;
/// Goes on killing (up to `MAX_CYCLES`) until this many kills have hit a segment roll-over.
const ROLL_OVER_KILLS: u64 = 3;
const MAX_CYCLES: u64 = 400;

/// The bytes of blob number `seed`: mostly small, sometimes several pieces, text or noise.
fn blob(seed: u64) -> Vec<u8> {
    let mut rng = rng(seed);
    let len = match rng.random_range(0..20) {
        0 => rng.random_range(PIECE_LEN..2 * PIECE_LEN + 1000),
        1..=4 => 0,
        _ => rng.random_range(1..20_000),
    };
    if rng.random_bool(0.5) {
        text(&mut rng, len)
    } else {
        noise(&mut rng, len)
    }
}

/// Whether the store was left in the middle of a roll-over: a side file being written, a sealed
/// segment without its side file, or a newest segment that holds nothing but (part of) a header.
fn killed_in_roll_over(dir: &std::path::Path) -> bool {
    let names: Vec<String> = std::fs::read_dir(dir.join("segments"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    if names.iter().any(|n| n.ends_with(".tmp")) {
        return true;
    }
    let segments = segment_files(dir);
    let Some(newest) = segments.last() else {
        return false;
    };
    let sealed_without_side_file =
        segments.len() >= 2 && !segments[segments.len() - 2].with_extension("idx").exists();
    let empty_newest = std::fs::metadata(newest).is_ok_and(|m| m.len() <= 32);
    sealed_without_side_file || empty_newest
}

/// The child: puts blobs until it is killed, printing `ACK <seed> <id>` after each put returns.
#[test]
#[ignore = "run by crash_recovery_keeps_every_acknowledged_blob as its child process"]
fn crash_child() {
    let (Ok(dir), Ok(seed)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_SEED)) else {
        return;
    };
    let store = open(std::path::Path::new(&dir));
    let first: u64 = seed.parse().unwrap();
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY").unwrap();
    out.flush().unwrap();
    for seed in first.. {
        let id = put(&store, &blob(seed));
        writeln!(out, "ACK {seed} {id}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn crash_recovery_keeps_every_acknowledged_blob() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(41);
    let mut acknowledged: Vec<(u64, String)> = Vec::new();
    let mut torn_tails = 0;
    let mut roll_over_kills = 0;
    let mut cycle = 0;
    while cycle < CYCLES || (roll_over_kills < ROLL_OVER_KILLS && cycle < MAX_CYCLES) {
        cycle += 1;
        let seed = (cycle * 1_000_000).to_string();
        let lines = eakte_testkit::run_and_kill(
            "crash_child",
            &[
                (CHILD_DIR, dir.path().as_os_str()),
                (CHILD_SEED, std::ffi::OsStr::new(&seed)),
            ],
            Duration::from_millis(rng.random_range(20..150)),
        );
        let acks = eakte_testkit::acks(&lines);
        acknowledged.extend(acks.iter().cloned());
        if killed_in_roll_over(dir.path()) {
            roll_over_kills += 1;
        }

        let store = open(dir.path());
        if std::fs::read_dir(dir.path().join("quarantine")).is_ok_and(|d| d.count() > torn_tails) {
            torn_tails += 1;
        }
        for (seed, id) in &acks {
            let bytes = blob(*seed);
            let id: eakte_store::BlobId = id.parse().unwrap();
            assert_eq!(
                id,
                blake3_id(&bytes),
                "cycle {cycle}: the child acknowledged a wrong id"
            );
            let read = store.get_bytes(&id);
            assert!(
                read.as_ref().is_ok_and(|r| *r == bytes),
                "cycle {cycle}: acknowledged blob {id} (seed {seed}) lost: {:?}",
                read.err()
            );
        }
    }
    let store = open(dir.path());
    let report = store.verify(&mut |_, _| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let distinct: std::collections::HashSet<_> = acknowledged.iter().map(|(_, id)| id).collect();
    // A put can become durable just before the kill and miss its ACK line: at most one per kill,
    // since the child puts one blob at a time.
    let blobs = store.stats().unwrap().blobs;
    let acked = distinct.len() as u64;
    assert!(
        (acked..=acked + cycle).contains(&blobs),
        "{blobs} blobs for {acked} acknowledged"
    );
    assert!(
        acknowledged.len() as u64 >= CYCLES,
        "too few puts to mean anything"
    );
    assert!(
        roll_over_kills >= 1,
        "no kill in {cycle} landed in a segment roll-over"
    );
    eprintln!(
        "{} acknowledged puts over {cycle} kills ({roll_over_kills} during a roll-over), \
         {torn_tails} torn tails cut, {} segments",
        acknowledged.len(),
        store.stats().unwrap().segments
    );
}
