//! Erasing personal-data payloads (disposition): the segments holding entries about destroyed
//! records are rewritten with those entries' payloads left out. An entry's bytes — the Merkle
//! leaf — stay as they are, so every root, proof and checkpoint still verifies; the entry's
//! commitment to the payload (blake3 and length) remains and marks it as erased.

use std::collections::BTreeSet;
use std::path::Path;

use eakte_segment::{Emit, RawFrame, SegmentDir, lock_directory, rewrite_segment};
use tracing::info;

use crate::JournalError;
use crate::event::Entry;
use crate::journal::{KIND_ENTRY, split_record};
use crate::summary;

/// What an erasure did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EraseReport {
    /// Payloads erased.
    pub payloads_erased: u64,
    /// Segments rewritten.
    pub segments_rewritten: u64,
    /// Bytes of the rewritten segments before.
    pub bytes_before: u64,
    /// Bytes of the rewritten segments after.
    pub bytes_rewritten: u64,
}

/// Erases the payload of every entry in the journal directory `dir` that names one of
/// `objects` (ids of Akten, Vorgänge, documents, blobs). The journal must not be open (this
/// takes its lock). Erased payloads stay erased; running it again changes nothing.
pub fn erase_payloads(dir: &Path, objects: &BTreeSet<String>) -> Result<EraseReport, JournalError> {
    let mut report = EraseReport::default();
    if objects.is_empty() || !dir.join("segments").is_dir() {
        return Ok(report);
    }
    let Some(_lock) = lock_directory(dir)? else {
        return Err(JournalError::Locked(dir.to_owned()));
    };
    let segments = SegmentDir::open(dir.join("segments"), "jnl")?;
    for number in segments.list()? {
        if !may_name(&segments, number, objects) {
            continue;
        }
        let mut erased = 0u64;
        let mut failure = None;
        let done = rewrite_segment(&segments, number, &mut |frame, out| {
            if let Err(why) = erase_in(frame, out, objects, &mut erased) {
                failure.get_or_insert(why);
            }
        })?;
        if let Some(why) = failure {
            return Err(JournalError::Damaged(format!("segment {number}: {why}")));
        }
        // The summary names the old frame offsets; the next open reads the segment in full
        // and writes a new one.
        let summary_path = segments.file(number, "jdx");
        if summary_path.exists() {
            std::fs::remove_file(&summary_path).map_err(|e| JournalError::Io {
                path: summary_path.clone(),
                source: e,
            })?;
        }
        if erased > 0 {
            info!(segment = number, erased, "journal payloads erased");
        }
        report.payloads_erased += erased;
        report.segments_rewritten += 1;
        report.bytes_before += done.old_len;
        report.bytes_rewritten += done.new_len;
    }
    Ok(report)
}

/// Whether segment `number` may hold an entry naming one of `objects`: by its summary when it
/// has an intact one, else yes (the rewrite looks at every entry).
fn may_name(segments: &SegmentDir, number: u64, objects: &BTreeSet<String>) -> bool {
    let path = segments.segment(number);
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    match std::fs::read(segments.file(number, "jdx"))
        .ok()
        .and_then(|bytes| summary::decode(&bytes, number, len))
    {
        Some(summary) => summary
            .entries
            .iter()
            .any(|e| e.objects.iter().any(|o| objects.contains(o))),
        None => true,
    }
}

/// Writes `frame` back, without its payload when it is an entry that names one of `objects`.
fn erase_in(
    frame: RawFrame,
    out: &mut Emit<'_>,
    objects: &BTreeSet<String>,
    erased: &mut u64,
) -> Result<(), String> {
    if frame.kind != KIND_ENTRY {
        out.push(frame.kind, frame.flags, &frame.payload);
        return Ok(());
    }
    let (bytes, payload) = split_record(&frame.payload).ok_or("an entry frame is too short")?;
    if payload.is_empty() {
        out.push(frame.kind, frame.flags, &frame.payload);
        return Ok(());
    }
    let entry = Entry::parse(bytes)?;
    if entry.objects.iter().any(|o| objects.contains(&o.id)) {
        let kept = 4 + bytes.len();
        out.push(frame.kind, frame.flags, &frame.payload[..kept]);
        *erased += 1;
    } else {
        out.push(frame.kind, frame.flags, &frame.payload);
    }
    Ok(())
}
