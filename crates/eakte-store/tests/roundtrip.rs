//! Round trips, deduplication, persistence across reopen, segment roll-over, side files, and
//! refusals of the content-addressed store.

mod common;

use std::io::Read;

use common::*;
use eakte_store::{BlobId, BlobStore, FileStore, PIECE_LEN, StoreError};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn check_round_trip(store: &FileStore, bytes: &[u8]) -> Result<(), TestCaseError> {
    let outcome = store.put(&mut &bytes[..]).unwrap();
    prop_assert_eq!(outcome.id, blake3_id(bytes));
    prop_assert_eq!(outcome.len, bytes.len() as u64);
    prop_assert_eq!(
        outcome.sha256.as_bytes(),
        &<[u8; 32]>::from(Sha256::digest(bytes))
    );
    let back = store.get_bytes(&outcome.id).unwrap();
    prop_assert!(back == bytes, "round trip changed {} bytes", bytes.len());
    let again = store.put(&mut &bytes[..]).unwrap();
    prop_assert!(again.deduplicated);
    prop_assert_eq!(again.id, outcome.id);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn random_blobs_round_trip_and_deduplicate(
        sizes in prop::collection::vec(prop_oneof![
            0usize..5000,
            (PIECE_LEN - 3)..(PIECE_LEN + 3),
            0usize..(3 * PIECE_LEN + 100),
        ], 1..5),
        seed: u64,
        compressible: bool,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let mut rng = rng(seed);
        let blobs: Vec<Vec<u8>> = sizes
            .iter()
            .map(|len| if compressible { text(&mut rng, *len) } else { noise(&mut rng, *len) })
            .collect();
        for bytes in &blobs {
            check_round_trip(&store, bytes)?;
        }
        let stats = store.stats().unwrap();
        let distinct: std::collections::HashSet<_> = blobs.iter().map(|b| blake3_id(b)).collect();
        prop_assert_eq!(stats.blobs, distinct.len() as u64);
        prop_assert_eq!(stats.puts, 2 * blobs.len() as u64);
        drop(store);
        // Everything is still there after reopening.
        let store = open(dir.path());
        for bytes in &blobs {
            prop_assert!(store.get_bytes(&blake3_id(bytes)).unwrap() == *bytes);
        }
    }
}

#[test]
fn piece_boundaries_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut rng = rng(7);
    for len in [
        0,
        1,
        PIECE_LEN - 1,
        PIECE_LEN,
        PIECE_LEN + 1,
        2 * PIECE_LEN,
        2 * PIECE_LEN + 1,
        5 * PIECE_LEN + 17,
    ] {
        let bytes = noise(&mut rng, len);
        let id = put(&store, &bytes);
        assert_eq!(id, blake3_id(&bytes), "length {len}");
        assert_eq!(store.get_bytes(&id).unwrap(), bytes, "length {len}");
        // Small reads across piece boundaries give the same bytes.
        let mut reader = store.open_blob(&id).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 777];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, bytes, "length {len} read in small steps");
    }
}

#[test]
fn compressible_data_is_compressed_and_noise_is_stored_raw() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut rng = rng(1);
    let text_id = put(&store, &text(&mut rng, 200_000));
    let text_meta = store.meta(&text_id).unwrap();
    assert!(
        text_meta.stored_len < text_meta.len / 2,
        "text stored in {} of {} bytes",
        text_meta.stored_len,
        text_meta.len
    );
    let noise_id = put(&store, &noise(&mut rng, 200_000));
    let noise_meta = store.meta(&noise_id).unwrap();
    // Raw storage costs only the frame headers, never the zstd overhead on top.
    assert!(noise_meta.stored_len > noise_meta.len);
    assert!(
        noise_meta.stored_len < noise_meta.len + 200,
        "{noise_meta:?}"
    );
}

#[test]
fn segments_roll_over_and_side_files_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(3);
    let blobs: Vec<Vec<u8>> = (0..60).map(|i| noise(&mut rng, 3000 + i * 97)).collect();
    {
        let store = open(dir.path());
        for bytes in &blobs {
            put(&store, bytes);
        }
        assert!(
            store.stats().unwrap().segments >= 3,
            "small segments must roll over"
        );
    }
    let side_files: Vec<_> = std::fs::read_dir(dir.path().join("segments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    assert!(side_files.len() >= 2);
    // One side file lost, one damaged: both are rebuilt from the segments.
    std::fs::remove_file(&side_files[0]).unwrap();
    let mut damaged = std::fs::read(&side_files[1]).unwrap();
    damaged[60] ^= 0xFF;
    std::fs::write(&side_files[1], &damaged).unwrap();
    let store = open(dir.path());
    for bytes in &blobs {
        assert_eq!(store.get_bytes(&blake3_id(bytes)).unwrap(), *bytes);
    }
    assert!(
        side_files[0].exists(),
        "the lost side file is written again"
    );
    assert_ne!(std::fs::read(&side_files[1]).unwrap(), damaged);
    let report = store.verify(&mut |_, _| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.blobs_checked, blobs.len() as u64);
}

#[test]
fn unknown_blob_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = BlobId::from_bytes([9; 32]);
    assert!(matches!(store.get(&id), Err(StoreError::NotFound(missing)) if missing == id));
    assert!(matches!(store.meta(&id), Err(StoreError::NotFound(_))));
}

#[test]
fn a_second_process_cannot_open_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(dir.path());
    let second = FileStore::open(dir.path(), &small_segments());
    assert!(matches!(second, Err(StoreError::Locked { .. })));
}

/// An input that yields some bytes and then fails, like a dropped upload.
struct FailingInput {
    left: usize,
}

impl Read for FailingInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("connection reset"));
        }
        let n = buf.len().min(self.left);
        buf[..n].fill(0x5A);
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn a_failing_input_stores_nothing_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut rng = rng(5);
    let kept = noise(&mut rng, 10_000);
    let kept_id = put(&store, &kept);
    let before = store.stats().unwrap();
    for left in [10, PIECE_LEN + 10, 3 * PIECE_LEN + 5] {
        let err = store.put(&mut FailingInput { left }).unwrap_err();
        assert!(matches!(err, StoreError::Input(_)), "{err}");
    }
    let after = store.stats().unwrap();
    assert_eq!(after.blobs, before.blobs);
    assert_eq!(
        after.stored_bytes, before.stored_bytes,
        "failed puts leave no bytes"
    );
    let next = noise(&mut rng, 2 * PIECE_LEN);
    let next_id = put(&store, &next);
    drop(store);
    let store = open(dir.path());
    assert_eq!(store.get_bytes(&kept_id).unwrap(), kept);
    assert_eq!(store.get_bytes(&next_id).unwrap(), next);
    assert!(store.verify(&mut |_, _| {}).unwrap().problems.is_empty());
}

#[test]
fn concurrent_puts_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let blobs: Vec<Vec<Vec<u8>>> = (0..8)
        .map(|t| {
            let mut rng = rng(100 + t);
            (0..40).map(|i| text(&mut rng, 500 + i * 50)).collect()
        })
        .collect();
    std::thread::scope(|scope| {
        for mine in &blobs {
            let store = &store;
            scope.spawn(move || {
                for bytes in mine {
                    assert_eq!(put(store, bytes), blake3_id(bytes));
                }
            });
        }
    });
    drop(store);
    let store = open(dir.path());
    for bytes in blobs.iter().flatten() {
        assert_eq!(store.get_bytes(&blake3_id(bytes)).unwrap(), *bytes);
    }
    assert!(store.verify(&mut |_, _| {}).unwrap().problems.is_empty());
}

#[test]
fn stats_count_dedup_and_compression() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut rng = rng(11);
    let bytes = text(&mut rng, 100_000);
    for _ in 0..3 {
        put(&store, &bytes);
    }
    let stats = store.stats().unwrap();
    assert_eq!(stats.blobs, 1);
    assert_eq!(stats.puts, 3);
    assert_eq!(stats.logical_bytes, 100_000);
    assert_eq!(stats.put_bytes, 300_000);
    assert!((stats.dedup_ratio() - 3.0).abs() < 1e-9);
    assert!(
        stats.compression_ratio() > 2.0,
        "{}",
        stats.compression_ratio()
    );
    assert!(stats.stored_bytes >= stats.record_bytes);
    // The counts survive a reopen: they are derived from the segments.
    drop(store);
    assert_eq!(open(dir.path()).stats().unwrap(), stats);
}

/// An input that hands out its bytes slowly, like an upload over a poor line, and says when it
/// has handed out more than `signal_after` bytes.
struct SlowInput<'a> {
    bytes: &'a [u8],
    at: usize,
    signal_after: usize,
    passed: &'a std::sync::atomic::AtomicBool,
}

impl Read for SlowInput<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let n = buf.len().min(16 * 1024).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        if self.at > self.signal_after {
            self.passed.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(n)
    }
}

// Regression: verify used to read the newest segment up to everything written, and reported the
// pieces of a streamed put still in progress as damaged.
#[test]
fn verify_during_a_streamed_put_sees_only_complete_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut rng = rng(12);
    put(&store, &text(&mut rng, 10_000));
    let big = noise(&mut rng, 3 * PIECE_LEN);
    let passed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let streaming = scope.spawn(|| {
            store
                .put(&mut SlowInput {
                    bytes: &big,
                    at: 0,
                    signal_after: 2 * PIECE_LEN + PIECE_LEN / 2,
                    passed: &passed,
                })
                .unwrap()
        });
        // Once the input is half-way through its third piece, the first piece is in the segment
        // and the commit is not.
        while !passed.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let report = store.verify(&mut |_, _| {}).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(
            !streaming.is_finished(),
            "the put must still be running during verify"
        );
        let outcome = streaming.join().unwrap();
        assert_eq!(outcome.id, blake3_id(&big));
    });
    assert_eq!(store.get_bytes(&blake3_id(&big)).unwrap(), big);
    assert!(store.verify(&mut |_, _| {}).unwrap().problems.is_empty());
}
