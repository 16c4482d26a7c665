//! A crash while appending leaves a torn tail: every truncation of the last record must reopen,
//! keep every earlier blob intact, move the cut bytes to quarantine, and accept new puts.

mod common;

use std::path::Path;

use common::*;
use eakte_store::{BlobStore, PIECE_LEN, StoreError};

/// Stores `earlier`, then `last`; returns the active segment's path, its bytes, and where the
/// last record starts.
fn store_then_last(
    dir: &Path,
    earlier: &[Vec<u8>],
    last: &[u8],
) -> (std::path::PathBuf, Vec<u8>, u64) {
    let store = open(dir);
    for bytes in earlier {
        put(&store, bytes);
    }
    drop(store);
    let segment = segment_files(dir).pop().unwrap();
    let before = std::fs::metadata(&segment).unwrap().len();
    let store = open(dir);
    put(&store, last);
    drop(store);
    assert_eq!(
        segment_files(dir).pop().unwrap(),
        segment,
        "the last record must land in the same segment"
    );
    (segment.clone(), std::fs::read(&segment).unwrap(), before)
}

fn check_cut(
    dir: &Path,
    segment: &Path,
    full: &[u8],
    start: u64,
    cut: u64,
    earlier: &[Vec<u8>],
    last: &[u8],
) {
    std::fs::write(segment, &full[..cut as usize]).unwrap();
    let _ = std::fs::remove_dir_all(dir.join("quarantine"));
    let store = open(dir);
    for bytes in earlier {
        assert_eq!(
            store.get_bytes(&blake3_id(bytes)).unwrap(),
            *bytes,
            "cut at {cut}"
        );
    }
    assert!(
        matches!(store.get(&blake3_id(last)), Err(StoreError::NotFound(_))),
        "cut at {cut}: an unfinished blob must not be found"
    );
    assert_eq!(
        std::fs::metadata(segment).unwrap().len(),
        start,
        "cut at {cut}"
    );
    let kept: Vec<_> = std::fs::read_dir(dir.join("quarantine"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(
        kept,
        vec![full[start as usize..cut as usize].to_vec()],
        "cut at {cut}"
    );
    assert!(
        store.verify(&mut |_, _| {}).unwrap().problems.is_empty(),
        "cut at {cut}"
    );
}

#[test]
fn every_truncation_of_a_small_last_record_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(21);
    let earlier: Vec<Vec<u8>> = (0..5).map(|i| text(&mut rng, 1000 + 300 * i)).collect();
    let last = noise(&mut rng, 300);
    let (segment, full, start) = store_then_last(dir.path(), &earlier, &last);
    for cut in start + 1..full.len() as u64 {
        check_cut(dir.path(), &segment, &full, start, cut, &earlier, &last);
    }
    // With the whole record back, the blob is there again, and puts go on after it.
    std::fs::write(&segment, &full).unwrap();
    let store = open(dir.path());
    assert_eq!(store.get_bytes(&blake3_id(&last)).unwrap(), last);
    let more = text(&mut rng, 5000);
    assert_eq!(store.get_bytes(&put(&store, &more)).unwrap(), more);
}

#[test]
fn truncations_of_a_multi_piece_record_recover() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(22);
    let earlier: Vec<Vec<u8>> = (0..3).map(|i| text(&mut rng, 2000 + i)).collect();
    let last = noise(&mut rng, 2 * PIECE_LEN + 4321);
    let (segment, full, start) = store_then_last(dir.path(), &earlier, &last);
    let end = full.len() as u64;
    // Every byte around the frame boundaries (headers, the piece/commit seams and the commit
    // record), and a stride through the piece data.
    let piece_frame = 16 + 4 + PIECE_LEN as u64;
    let mut cuts: Vec<u64> = Vec::new();
    for seam in [start, start + piece_frame, start + 2 * piece_frame] {
        cuts.extend(seam.saturating_sub(40)..(seam + 60).min(end));
    }
    cuts.extend(end.saturating_sub(300)..end);
    cuts.extend((start..end).step_by(65_521));
    cuts.retain(|c| *c > start && *c < end);
    cuts.sort_unstable();
    cuts.dedup();
    assert!(cuts.len() > 400);
    for cut in cuts {
        check_cut(dir.path(), &segment, &full, start, cut, &earlier, &last);
    }
}

#[test]
fn a_segment_torn_while_being_created_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(23);
    let kept = text(&mut rng, 4000);
    let store = open(dir.path());
    put(&store, &kept);
    drop(store);
    let last = segment_files(dir.path()).pop().unwrap();
    let number: u64 = last.file_stem().unwrap().to_str().unwrap().parse().unwrap();
    // A crash right after creating the next segment file, before its header was complete.
    let next = last.with_file_name(format!("{:08}.seg", number + 1));
    std::fs::write(&next, b"EAKTSEG").unwrap();
    let store = open(dir.path());
    assert_eq!(store.get_bytes(&blake3_id(&kept)).unwrap(), kept);
    let more = text(&mut rng, 4000);
    assert_eq!(store.get_bytes(&put(&store, &more)).unwrap(), more);
    assert!(store.verify(&mut |_, _| {}).unwrap().problems.is_empty());
}

#[test]
fn torn_tails_cut_at_the_same_place_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(24);
    let kept = text(&mut rng, 3000);
    let (segment, _, start) = store_then_last(
        dir.path(),
        std::slice::from_ref(&kept),
        &noise(&mut rng, 500),
    );
    for garbage in [&b"first torn tail"[..], b"second, different torn tail"] {
        // A frame header that promises more than the file holds, then the garbage.
        let mut bytes = std::fs::read(&segment).unwrap();
        bytes.truncate(start as usize);
        let mut frame = Vec::new();
        eakte_segment::encode_frame(1, 0, &[0u8; 4096], &mut frame);
        bytes.extend_from_slice(&frame[..16]);
        bytes.extend_from_slice(garbage);
        std::fs::write(&segment, &bytes).unwrap();
        let store = open(dir.path());
        assert_eq!(store.get_bytes(&blake3_id(&kept)).unwrap(), kept);
    }
    let mut kept_tails: Vec<Vec<u8>> = std::fs::read_dir(dir.path().join("quarantine"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    kept_tails.sort();
    assert_eq!(
        kept_tails.len(),
        2,
        "the second tail must not overwrite the first"
    );
    assert!(kept_tails.iter().any(|t| t.ends_with(b"first torn tail")));
    assert!(
        kept_tails
            .iter()
            .any(|t| t.ends_with(b"second, different torn tail"))
    );
}
