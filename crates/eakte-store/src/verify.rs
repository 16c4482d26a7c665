//! Verify (scrub): re-read every record of every segment, decompress and hash every piece, and
//! report each blob and each stretch of bytes that does not check out.

use std::fs::File;
use std::os::unix::fs::FileExt;

use eakte_segment::{SEGMENT_HEADER_LEN, SegmentHeader};

use crate::StoreError;
use crate::api::{VerifyProblem, VerifyReport};
use crate::file_store::FileStore;
use crate::record::{STORE_FORMAT, STORE_LOG};
use crate::scan::{Found, scan_segment};

fn header_ok(file: &File, number: u64) -> bool {
    let mut bytes = [0u8; SEGMENT_HEADER_LEN as usize];
    file.read_exact_at(&mut bytes, 0).is_ok()
        && SegmentHeader::decode(&bytes)
            .is_some_and(|h| h.log == STORE_LOG && h.version == STORE_FORMAT && h.number == number)
}

pub(crate) fn verify(
    store: &FileStore,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<VerifyReport, StoreError> {
    // Only what existed when verify started is checked; puts may go on meanwhile.
    let extents = store.segment_extents()?;
    let total: u64 = extents.iter().map(|(_, _, len)| *len).sum();
    let mut report = VerifyReport::default();
    let mut done = 0u64;
    progress(0, total);
    for (number, path, len) in extents {
        let file = File::open(&path).map_err(|e| StoreError::io(&path, e))?;
        if !header_ok(&file, number) {
            report.problems.push(VerifyProblem::DamagedRegion {
                segment: number,
                offset: 0,
                len: SEGMENT_HEADER_LEN.min(len),
            });
        }
        let mut found_blobs = Vec::new();
        scan_segment(
            &file,
            number,
            SEGMENT_HEADER_LEN,
            len,
            true,
            &mut |found| match found {
                Found::Blob {
                    id,
                    locator,
                    problem,
                } => {
                    report.blobs_checked += 1;
                    progress(done + locator.commit_offset, total);
                    if let Some(detail) = problem {
                        found_blobs.push((id, locator));
                        report
                            .problems
                            .push(VerifyProblem::CorruptBlob { id, detail });
                    }
                }
                Found::Ref(_) => {}
                Found::Damaged { offset, len } => {
                    report.problems.push(VerifyProblem::DamagedRegion {
                        segment: number,
                        offset,
                        len,
                    })
                }
                Found::Torn { offset } => report.problems.push(VerifyProblem::DamagedRegion {
                    segment: number,
                    offset,
                    len: len - offset,
                }),
            },
        )
        .map_err(|e| StoreError::io(&path, e))?;
        // Reads of a blob found corrupt fail from now on, and a new put of its bytes stores a
        // fresh, intact copy.
        let mut index = store.write_index();
        for (id, locator) in found_blobs {
            if let Some(known) = index.blobs.get_mut(&id)
                && known.segment == locator.segment
                && known.commit_offset == locator.commit_offset
            {
                known.damaged = true;
            }
        }
        drop(index);
        done += len;
        report.bytes_checked += len;
        progress(done, total);
    }
    Ok(report)
}
