//! Opening a store after a crash: sealed segments from their side files, the active segment by
//! scanning, and an unfinished record at its end moved to quarantine and cut off.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use eakte_segment::{
    SEGMENT_HEADER_LEN, SegmentDir, SegmentHeader, create_segment, fsync_dir, keep_in_quarantine,
    write_file_durably,
};
use tracing::warn;

use crate::StoreError;
use crate::file_store::Writer;
use crate::index::{SegmentSummary, decode_side_file, encode_side_file};
use crate::record::{STORE_FORMAT, STORE_LOG};
use crate::scan::{Found, scan_segment};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::io(path, e)
}

pub(crate) fn new_writer(segments: &SegmentDir, number: u64) -> Result<Writer, StoreError> {
    let header = SegmentHeader {
        log: STORE_LOG,
        version: STORE_FORMAT,
        number,
    };
    let (file, _) = create_segment(segments, header)?;
    Ok(Writer {
        number,
        file: Arc::new(file),
        len: SEGMENT_HEADER_LEN,
        summary: SegmentSummary::default(),
        clean_len: SEGMENT_HEADER_LEN,
        poisoned: None,
    })
}

/// Checks a segment's header; a newer format is refused rather than misread.
fn check_header(path: &Path, file: &File, number: u64) -> Result<(), StoreError> {
    let mut bytes = [0u8; SEGMENT_HEADER_LEN as usize];
    file.read_exact_at(&mut bytes, 0).map_err(io(path))?;
    match SegmentHeader::decode(&bytes) {
        Some(header) if header.version > STORE_FORMAT => Err(StoreError::Format {
            path: path.to_owned(),
            found: header.version,
            supported: STORE_FORMAT,
        }),
        Some(header) if header.log != STORE_LOG || header.number != number => {
            warn!(path = %path.display(), "segment header names another log or number");
            Ok(())
        }
        Some(_) => Ok(()),
        None => {
            warn!(path = %path.display(), "segment header is damaged; reading its records anyway");
            Ok(())
        }
    }
}

/// A sealed segment's summary: from its side file, or rebuilt by scanning it when the side file
/// is missing or does not check out.
pub(crate) fn load_sealed(
    segments: &SegmentDir,
    number: u64,
) -> Result<SegmentSummary, StoreError> {
    let path = segments.segment(number);
    let file = File::open(&path).map_err(io(&path))?;
    let len = file.metadata().map_err(io(&path))?.len();
    if len >= SEGMENT_HEADER_LEN {
        check_header(&path, &file, number)?;
    }
    let side_path = segments.file(number, "idx");
    if let Ok(bytes) = std::fs::read(&side_path)
        && let Some(summary) = decode_side_file(&bytes, number, len)
    {
        return Ok(summary);
    }
    warn!(
        segment = number,
        "rebuilding the segment's index from its records"
    );
    let summary = scan_summary(&file, &path, number, len)?;
    write_file_durably(&side_path, &encode_side_file(number, len, &summary))?;
    Ok(summary)
}

/// A segment's summary from a scan of its records (checksums only).
pub(crate) fn scan_summary(
    file: &File,
    path: &Path,
    number: u64,
    len: u64,
) -> Result<SegmentSummary, StoreError> {
    let mut summary = SegmentSummary::default();
    if len > SEGMENT_HEADER_LEN {
        scan_segment(file, number, SEGMENT_HEADER_LEN, len, false, &mut |found| {
            summarize(&mut summary, found)
        })
        .map_err(io(path))?;
    }
    Ok(summary)
}

fn summarize(summary: &mut SegmentSummary, found: Found) {
    match found {
        Found::Blob {
            id,
            locator,
            problem,
        } => {
            if let Some(problem) = &problem {
                warn!(blob = %id, problem, "damaged blob record");
            }
            summary.blobs.push((id, locator));
        }
        Found::Ref(id) => summary.refs.push(id),
        Found::Damaged { offset, len } => {
            warn!(segment = ?summary.blobs.last().map(|b| b.1.segment), offset, len, "damaged bytes in a segment");
        }
        Found::Torn { .. } => {}
    }
}

/// Opens the newest segment for appending: scans it, and moves an unfinished record at its end
/// (a crash during a put) to the quarantine directory before cutting it off.
///
/// When the scan met damage it had to skip (a frame header that does not check out), frame
/// boundaries after it are less certain, so nothing is cut: the segment is sealed as it is, with
/// its side file, and a new segment becomes the active one.
pub(crate) fn recover_active(
    segments: &SegmentDir,
    quarantine: &Path,
    number: u64,
) -> Result<(Writer, Option<SegmentSummary>), StoreError> {
    let path = segments.segment(number);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    let len = file.metadata().map_err(io(&path))?.len();
    if len < SEGMENT_HEADER_LEN {
        // A crash while the segment was being created: it never held a record.
        keep_in_quarantine(quarantine, &path, &file, 0, len)?;
        std::fs::remove_file(&path).map_err(io(&path))?;
        fsync_dir(segments.path())?;
        return Ok((new_writer(segments, number)?, None));
    }
    check_header(&path, &file, number)?;
    let mut summary = SegmentSummary::default();
    let mut torn = None;
    let mut skipped_damage = false;
    scan_segment(
        &file,
        number,
        SEGMENT_HEADER_LEN,
        len,
        false,
        &mut |found| {
            match found {
                Found::Torn { offset } => torn = Some(offset),
                Found::Damaged { .. } => skipped_damage = true,
                _ => {}
            }
            summarize(&mut summary, found)
        },
    )
    .map_err(io(&path))?;
    // What a killed process wrote may still be only in the page cache: make it durable before
    // it counts as stored.
    file.sync_all().map_err(io(&path))?;
    if skipped_damage {
        warn!(
            segment = number,
            "the newest segment is damaged; sealing it as it is and starting a new one"
        );
        write_file_durably(
            &segments.file(number, "idx"),
            &encode_side_file(number, len, &summary),
        )?;
        return Ok((new_writer(segments, number + 1)?, Some(summary)));
    }
    let mut end = len;
    if let Some(offset) = torn {
        warn!(
            segment = number,
            offset,
            bytes = len - offset,
            "cutting off an unfinished record"
        );
        keep_in_quarantine(quarantine, &path, &file, offset, len)?;
        file.set_len(offset).map_err(io(&path))?;
        file.sync_all().map_err(io(&path))?;
        end = offset;
    }
    let writer = Writer {
        number,
        file: Arc::new(file),
        len: end,
        summary,
        clean_len: end,
        poisoned: None,
    };
    Ok((writer, None))
}
