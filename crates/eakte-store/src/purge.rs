//! Removing blobs for good (disposition): the segments that hold them are rewritten without
//! their records, so that no byte of a destroyed original or rendition stays on disk.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;

use eakte_segment::{
    Emit, RawFrame, SegmentDir, lock_directory, rewrite_segment, write_file_durably,
};
use eakte_types::BlobId;
use tracing::info;

use crate::StoreError;
use crate::index::{SegmentSummary, encode_side_file};
use crate::record::{Commit, KIND_COMMIT, KIND_PIECE, KIND_REF};
use crate::recovery::load_sealed;

/// What a purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Blob records removed (a blob stored twice counts twice).
    pub records_removed: u64,
    /// Segments rewritten.
    pub segments_rewritten: u64,
    /// Bytes of the rewritten segments before.
    pub bytes_before: u64,
    /// Bytes of the rewritten segments after: what had to be written again.
    pub bytes_rewritten: u64,
}

impl PurgeReport {
    /// Bytes the purge took off the disk.
    pub fn bytes_removed(&self) -> u64 {
        self.bytes_before.saturating_sub(self.bytes_rewritten)
    }
}

/// Removes the blobs `ids` from the store in `dir`, which must not be open (the purge takes
/// its lock). Every segment holding a record of one of them, or a reference of a deduplicated
/// put, is rewritten without it, keeping every other record byte for byte (only the piece offset
/// in a moved record's commit changes); an unfinished record at the end is left out. A segment
/// with damage in it is not rewritten (`SegmentError::Damaged`): the purge stops there, so that
/// the damage stays to be seen and repaired. Unknown ids are no error.
pub fn purge_blobs(dir: &Path, ids: &BTreeSet<BlobId>) -> Result<PurgeReport, StoreError> {
    let mut report = PurgeReport::default();
    if ids.is_empty() || !dir.join("segments").is_dir() {
        return Ok(report);
    }
    let Some(_lock) = lock_directory(dir)? else {
        return Err(StoreError::Locked {
            path: dir.to_owned(),
        });
    };
    let segments = SegmentDir::open(dir.join("segments"), "seg")?;
    let numbers = segments.list()?;
    let newest = numbers.last().copied();
    for number in numbers {
        let summary = if Some(number) == newest {
            scan_summary(&segments, number)?
        } else {
            load_sealed(&segments, number)?
        };
        let holds = summary.blobs.iter().any(|(id, _)| ids.contains(id))
            || summary.refs.iter().any(|id| ids.contains(id));
        if !holds {
            continue;
        }
        let mut run: Vec<RawFrame> = Vec::new();
        let mut removed = 0u64;
        let done = rewrite_segment(&segments, number, &mut |frame, out| {
            keep_or_drop(frame, out, &mut run, ids, &mut removed)
        })?;
        // The side file describes the old layout: write the new one.
        let new_summary = scan_summary(&segments, number)?;
        if Some(number) != newest {
            write_file_durably(
                &segments.file(number, "idx"),
                &encode_side_file(number, done.new_len, &new_summary),
            )?;
        }
        info!(
            segment = number,
            removed, "segment rewritten without destroyed blobs"
        );
        report.records_removed += removed;
        report.segments_rewritten += 1;
        report.bytes_before += done.old_len;
        report.bytes_rewritten += done.new_len;
    }
    Ok(report)
}

/// The rewrite's decision for one frame: pieces wait for their commit; a commit of a blob to
/// remove drops itself and its pieces, any other is written with its pieces (its first-piece
/// offset set to where they now start); a reference to a removed blob is dropped; pieces that
/// never got a commit are left out.
fn keep_or_drop(
    frame: RawFrame,
    out: &mut Emit<'_>,
    run: &mut Vec<RawFrame>,
    ids: &BTreeSet<BlobId>,
    removed: &mut u64,
) {
    match frame.kind {
        KIND_PIECE => run.push(frame),
        KIND_COMMIT => {
            let pieces = std::mem::take(run);
            let Some(mut commit) = Commit::decode(&frame.payload) else {
                return;
            };
            if ids.contains(&commit.id) {
                *removed += 1;
                return;
            }
            if pieces.len() as u64 != u64::from(commit.piece_count) {
                // A record whose pieces are not all intact is no readable record.
                return;
            }
            commit.first_piece_offset = out.offset();
            for piece in pieces {
                out.push(piece.kind, piece.flags, &piece.payload);
            }
            out.push(frame.kind, frame.flags, &commit.encode());
        }
        KIND_REF => {
            run.clear();
            let id = <[u8; 32]>::try_from(frame.payload.as_slice()).map(BlobId::from_bytes);
            if id.is_ok_and(|id| !ids.contains(&id)) {
                out.push(frame.kind, frame.flags, &frame.payload);
            }
        }
        _ => {
            run.clear();
            out.push(frame.kind, frame.flags, &frame.payload);
        }
    }
}

/// A segment's summary from a scan of the file as it is.
fn scan_summary(segments: &SegmentDir, number: u64) -> Result<SegmentSummary, StoreError> {
    let path = segments.segment(number);
    let file = File::open(&path).map_err(|e| StoreError::io(&path, e))?;
    let len = file.metadata().map_err(|e| StoreError::io(&path, e))?.len();
    crate::recovery::scan_summary(&file, &path, number, len)
}
