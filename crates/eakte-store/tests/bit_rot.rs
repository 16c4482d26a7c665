//! Bit rot: a flipped byte anywhere in a stored record is found by `get` and by `verify`, and no
//! read ever returns wrong bytes.

mod common;

use common::*;
use eakte_store::{BlobStore, FileStore, PIECE_LEN, StoreError, VerifyProblem};
use rand::Rng;

struct Fixture {
    dir: tempfile::TempDir,
    blobs: Vec<Vec<u8>>,
    /// Every file of the store as it was after the puts, to put back after each flip.
    files: Vec<(std::path::PathBuf, Vec<u8>)>,
}

impl Fixture {
    /// Puts the store back as it was: opening a damaged store may seal its newest segment and
    /// start another, or rebuild side files.
    fn restore(&self) {
        let segments = self.dir.path().join("segments");
        for entry in std::fs::read_dir(&segments).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (path, bytes) in &self.files {
            std::fs::write(path, bytes).unwrap();
        }
        let _ = std::fs::remove_dir_all(self.dir.path().join("quarantine"));
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(31);
    let mut blobs: Vec<Vec<u8>> = (0..24)
        .map(|i| {
            if i % 2 == 0 {
                text(&mut rng, 500 + 400 * i)
            } else {
                noise(&mut rng, 300 + 200 * i)
            }
        })
        .collect();
    blobs.insert(10, noise(&mut rng, PIECE_LEN + 5000));
    let store = open(dir.path());
    for bytes in &blobs {
        put(&store, bytes);
    }
    drop(store);
    assert!(
        segment_files(dir.path()).len() >= 2,
        "needs sealed and active segments"
    );
    let files = std::fs::read_dir(dir.path().join("segments"))
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    Fixture { dir, blobs, files }
}

/// Opens the store with one byte flipped and checks what `get` and `verify` say; `active` tells
/// whether the flip is in the newest segment.
fn check_flip(fx: &Fixture, segment: &std::path::Path, pos: usize, original: &[u8], active: bool) {
    let mut bytes = original.to_vec();
    bytes[pos] ^= 0xFF;
    std::fs::write(segment, &bytes).unwrap();
    let store = FileStore::open(fx.dir.path(), &small_segments()).unwrap();
    let mut failed = 0;
    for blob in &fx.blobs {
        match store.get_bytes(&blake3_id(blob)) {
            Ok(read) => assert!(read == *blob, "flip at {pos}: wrong bytes returned"),
            Err(StoreError::Corruption { id, .. }) => {
                assert_eq!(id, blake3_id(blob));
                failed += 1;
            }
            // A damaged frame header in the newest segment can hide a record entirely: sealed
            // segments have a side file that still knows it, the newest segment is scanned.
            Err(StoreError::NotFound(_)) if active => failed += 1,
            Err(e) => panic!("flip at {pos}: unexpected error {e}"),
        }
    }
    let report = store.verify(&mut |_, _| {}).unwrap();
    let in_segment = pos >= 32;
    if in_segment {
        assert!(
            failed >= 1,
            "flip at {pos} in {segment:?}: no get noticed it"
        );
    }
    assert!(
        !report.problems.is_empty(),
        "flip at {pos} in {segment:?}: verify found nothing"
    );
    for problem in &report.problems {
        if let VerifyProblem::CorruptBlob { id, .. } = problem {
            assert!(
                fx.blobs.iter().any(|b| blake3_id(b) == *id),
                "verify named an unknown blob {id}"
            );
        }
    }
    drop(store);
    fx.restore();
}

#[test]
fn flipped_bytes_are_detected_and_never_read_back() {
    let fx = fixture();
    let segments = segment_files(fx.dir.path());
    let mut rng = rng(32);
    for (i, segment) in segments.iter().enumerate() {
        let active = i == segments.len() - 1;
        let original = std::fs::read(segment).unwrap();
        let dense = original.len().min(600);
        let mut positions: Vec<usize> = (0..dense).collect();
        positions.extend((0..150).map(|_| rng.random_range(0..original.len())));
        positions.sort_unstable();
        positions.dedup();
        for pos in positions {
            check_flip(&fx, segment, pos, &original, active);
        }
    }
}

#[test]
fn verify_marks_corrupt_blobs_and_a_new_put_heals_them() {
    let fx = fixture();
    let victim = &fx.blobs[3];
    let segments = segment_files(fx.dir.path());
    // Damage the victim's data where it lies, without the store knowing at open time.
    let store = open(fx.dir.path());
    drop(store);
    let needle = &victim[100..140];
    let (segment, pos) = segments
        .iter()
        .find_map(|s| {
            let bytes = std::fs::read(s).unwrap();
            bytes
                .windows(needle.len())
                .position(|w| w == needle)
                .map(|p| (s.clone(), p))
        })
        .expect("the victim is stored raw, so its bytes can be found");
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[pos + 5] ^= 0x01;
    std::fs::write(&segment, &bytes).unwrap();
    let store = open(fx.dir.path());
    let report = store.verify(&mut |_, _| {}).unwrap();
    let corrupt: Vec<_> = report.corrupt_blobs().copied().collect();
    assert_eq!(corrupt, vec![blake3_id(victim)]);
    assert!(!store.contains(&blake3_id(victim)));
    // Putting the same bytes again stores an intact copy, which reads back.
    let outcome = store.put(&mut &victim[..]).unwrap();
    assert!(!outcome.deduplicated);
    assert_eq!(store.get_bytes(&outcome.id).unwrap(), *victim);
    drop(store);
    let store = open(fx.dir.path());
    assert_eq!(store.get_bytes(&blake3_id(victim)).unwrap(), *victim);
}

#[test]
fn a_put_of_bytes_whose_copy_rotted_unnoticed_stores_them_again() {
    let fx = fixture();
    let victim = &fx.blobs[5];
    let needle = &victim[200..240];
    for segment in segment_files(fx.dir.path()) {
        let mut bytes = std::fs::read(&segment).unwrap();
        if let Some(pos) = bytes.windows(needle.len()).position(|w| w == needle) {
            bytes[pos + 3] ^= 0x20;
            std::fs::write(&segment, &bytes).unwrap();
        }
    }
    // No verify ran: the store does not know yet. A put must not be deduplicated against a copy
    // that cannot be read.
    let store = open(fx.dir.path());
    let outcome = store.put(&mut &victim[..]).unwrap();
    assert!(!outcome.deduplicated, "deduplicated against a corrupt copy");
    assert_eq!(store.get_bytes(&outcome.id).unwrap(), *victim);
    // An intact blob is still deduplicated.
    assert!(store.put(&mut &fx.blobs[6][..]).unwrap().deduplicated);
}

#[test]
fn damage_in_the_newest_segment_seals_it_and_cuts_nothing() {
    let fx = fixture();
    let newest = segment_files(fx.dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&newest).unwrap();
    let len = bytes.len();
    // Break the header of the last frame: it looks like neither a frame nor a torn tail.
    let last_header = len - 16 - 88;
    bytes[last_header + 4] ^= 0x55;
    std::fs::write(&newest, &bytes).unwrap();
    let store = open(fx.dir.path());
    assert_eq!(
        std::fs::metadata(&newest).unwrap().len() as usize,
        len,
        "nothing was cut"
    );
    assert!(!fx.dir.path().join("quarantine").exists());
    assert_ne!(
        segment_files(fx.dir.path()).pop().unwrap(),
        newest,
        "a new segment is active"
    );
    for blob in &fx.blobs[..fx.blobs.len() - 1] {
        assert_eq!(store.get_bytes(&blake3_id(blob)).unwrap(), *blob);
    }
    let more = noise(&mut rng(77), 5000);
    assert_eq!(store.get_bytes(&put(&store, &more)).unwrap(), more);
    assert!(!store.verify(&mut |_, _| {}).unwrap().problems.is_empty());
}
