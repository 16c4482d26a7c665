//! Purging blobs for good: the records go, every other blob reads back and verifies, and no
//! byte of a purged blob is left anywhere under the store's directory.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use eakte_store::{BlobStore, PIECE_LEN, StoreError, purge_blobs};

/// Every file under `dir` (recursively) that contains `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        if bytes.windows(needle.len()).any(|w| w == needle) {
            hits.push(entry.display().to_string());
        }
    }
    hits
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A blob that cannot be compressed away, with a marker at its start and its end (so that the
/// marker survives zstd as plain bytes only if the data is incompressible around it).
fn marked(marker: &str, len: usize, seed: u64) -> Vec<u8> {
    let mut bytes = noise(&mut rng(seed), len);
    bytes[..marker.len()].copy_from_slice(marker.as_bytes());
    let end = len - marker.len();
    bytes[end..].copy_from_slice(marker.as_bytes());
    bytes
}

#[test]
fn purged_blobs_are_gone_and_the_rest_stays_intact() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let doomed = [
        marked("MARKER-ALPHA-0001", 3000, 1),
        marked("MARKER-BRAVO-0002", 2 * PIECE_LEN + 77, 2),
        marked("MARKER-DELTA-0003", 200, 3),
    ];
    let kept = [
        marked("KEEP-ONE", 5000, 4),
        marked("KEEP-TWO", PIECE_LEN + 5, 5),
        marked("KEEP-THREE", 100, 6),
    ];
    let mut doomed_ids = BTreeSet::new();
    let mut kept_ids = Vec::new();
    // Interleaved, so that the purged records sit between kept ones in the same segments; the
    // first doomed blob is put twice (a reference frame).
    for (d, k) in doomed.iter().zip(&kept) {
        doomed_ids.insert(put(&store, d));
        kept_ids.push(put(&store, k));
    }
    put(&store, &doomed[0]);
    drop(store);
    for marker in [
        "MARKER-ALPHA-0001",
        "MARKER-BRAVO-0002",
        "MARKER-DELTA-0003",
    ] {
        assert!(!files_containing(dir.path(), marker.as_bytes()).is_empty());
    }

    let report = purge_blobs(dir.path(), &doomed_ids).unwrap();
    assert_eq!(report.records_removed, 3);
    assert!(report.segments_rewritten >= 1);
    assert!(
        report.bytes_removed() >= (2 * PIECE_LEN) as u64,
        "{report:?}"
    );
    for marker in [
        "MARKER-ALPHA-0001",
        "MARKER-BRAVO-0002",
        "MARKER-DELTA-0003",
    ] {
        assert_eq!(
            files_containing(dir.path(), marker.as_bytes()),
            Vec::<String>::new()
        );
    }

    let store = open(dir.path());
    for id in &doomed_ids {
        assert!(matches!(store.get_bytes(id), Err(StoreError::NotFound(_))));
    }
    for (id, bytes) in kept_ids.iter().zip(&kept) {
        assert_eq!(&store.get_bytes(id).unwrap(), bytes);
    }
    let verify = store.verify(&mut |_, _| {}).unwrap();
    assert!(verify.problems.is_empty(), "{:?}", verify.problems);
    // A purged blob can be stored anew.
    assert_eq!(put(&store, &doomed[2]), blake3_id(&doomed[2]));
    drop(store);

    // Nothing is left to purge of what is gone.
    let gone = BTreeSet::from([blake3_id(&doomed[0]), blake3_id(&doomed[1])]);
    let again = purge_blobs(dir.path(), &gone).unwrap();
    assert_eq!(again.segments_rewritten, 0);
}

#[test]
fn an_open_store_cannot_be_purged() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let id = put(&store, b"held open");
    let err = purge_blobs(dir.path(), &BTreeSet::from([id])).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert_eq!(store.get_bytes(&id).unwrap(), b"held open");
}
