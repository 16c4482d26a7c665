//! Crash test: a child process appends events from four threads and reports each acknowledged
//! entry; the parent kills it with SIGKILL at random moments (segments are small, so kills land
//! during roll-overs and checkpoints too), reopens the journal, and checks that every
//! acknowledged entry is there unchanged, then that an export of the whole journal verifies.

mod common;

use std::io::Write;
use std::time::Duration;

use common::*;
use eakte_config::JournalConfig;
use eakte_journal::Journal;
use eakte_journal::export::export;
use eakte_journal::verify::verify_export;
use rand::Rng;

const CHILD_DIR: &str = "EAKTE_JOURNAL_CRASH_DIR";
const CYCLES: u64 = 100;

fn crash_config() -> JournalConfig {
    JournalConfig {
        segment_max_bytes: 64 * 1024,
        checkpoint_every_entries: 50,
        ..JournalConfig::default()
    }
}

/// The child: appends until killed, printing `ACK <seq> <leaf hex>` after each append returns.
#[test]
#[ignore = "run by crash_recovery_keeps_every_acknowledged_entry as its child process"]
fn journal_crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let journal = Journal::open(std::path::Path::new(&dir), &crash_config()).unwrap();
    println!("READY");
    std::thread::scope(|scope| {
        for thread in 0..4u64 {
            let journal = &journal;
            scope.spawn(move || {
                for i in 0.. {
                    let receipt = journal.append(event(thread * 1_000_000 + i)).unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {} {}", receipt.seq, hex::encode(receipt.leaf)).unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

#[test]
fn crash_recovery_keeps_every_acknowledged_entry() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("journal");
    let mut rng = eakte_testkit::rng(43);
    let mut acknowledged = 0u64;
    let mut torn_tails = 0usize;
    for cycle in 0..CYCLES {
        let lines = eakte_testkit::run_and_kill(
            "journal_crash_child",
            &[(CHILD_DIR, dir.as_os_str())],
            Duration::from_millis(rng.random_range(20..150)),
        );
        let acks = eakte_testkit::acks(&lines);
        acknowledged += acks.len() as u64;

        let journal = Journal::open(&dir, &crash_config())
            .unwrap_or_else(|e| panic!("cycle {cycle}: the journal does not open: {e}"));
        if std::fs::read_dir(dir.join("quarantine")).is_ok_and(|d| d.count() > torn_tails) {
            torn_tails += 1;
        }
        for (seq, leaf) in &acks {
            let stored = journal.leaf(*seq).map(hex::encode);
            assert_eq!(
                stored.as_ref().ok(),
                Some(leaf),
                "cycle {cycle}: acknowledged entry {seq} lost or changed: {stored:?}"
            );
        }
        // Closing makes a checkpoint over what the child left uncovered.
        journal.close().unwrap();
    }
    let journal = Journal::open(&dir, &crash_config()).unwrap();
    let out = root.path().join("export");
    export(&journal, &out, None, None).unwrap();
    let report = verify_export(&out, &journal.public_key(), &journal.checkpoints()).unwrap();
    assert_eq!(report.end, journal.size());
    assert!(
        journal.size() >= acknowledged,
        "{} entries for {acknowledged} acks",
        journal.size()
    );
    assert!(
        acknowledged >= CYCLES * 10,
        "too few appends to mean anything: {acknowledged}"
    );
    let segments = std::fs::read_dir(dir.join("segments"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "jnl")
        })
        .count();
    assert!(
        segments > 10,
        "too few roll-overs to mean anything: {segments} segments"
    );
    eprintln!(
        "{acknowledged} acknowledged appends over {CYCLES} kills, {torn_tails} torn tails cut, \
         {} entries, {segments} segments, {} checkpoints",
        journal.size(),
        report.checkpoints
    );
}
