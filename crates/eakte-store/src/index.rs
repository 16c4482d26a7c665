//! The locator index (blob id → where its commit frame is) and its checksummed side file.
//!
//! The index is derived: the active segment is scanned on open, and each sealed segment has an
//! `.idx` side file written when it was sealed. A side file that is missing, damaged, or does not
//! match its segment's length is ignored and rebuilt from the segment.

use eakte_types::BlobId;

/// Where a blob's commit frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Locator {
    pub segment: u64,
    pub commit_offset: u64,
    /// Where the blob's record ends: once the segment is durable up to here, so is the blob.
    /// Not kept in side files (sealed segments are durable); set to the commit offset there.
    pub end: u64,
    pub len: u64,
    /// Bytes of the blob's frames (pieces and commit, headers included).
    pub record_bytes: u64,
    /// A scan found part of the record damaged; reads fail with `Corruption`, and a new put of
    /// the same bytes stores a fresh copy.
    pub damaged: bool,
}

/// What one segment holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SegmentSummary {
    pub blobs: Vec<(BlobId, Locator)>,
    /// Deduplicated puts recorded in this segment.
    pub refs: Vec<BlobId>,
}

const MAGIC: [u8; 8] = *b"EAKTIDX\0";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 48;
const ENTRY_LEN: usize = 57;

/// Encodes a sealed segment's summary; `segment_len` ties it to the segment's final length.
pub(crate) fn encode_side_file(number: u64, segment_len: u64, summary: &SegmentSummary) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        HEADER_LEN + ENTRY_LEN * summary.blobs.len() + 32 * summary.refs.len() + 4,
    );
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&[0u8; 6]);
    out.extend_from_slice(&number.to_le_bytes());
    out.extend_from_slice(&segment_len.to_le_bytes());
    out.extend_from_slice(&(summary.blobs.len() as u64).to_le_bytes());
    out.extend_from_slice(&(summary.refs.len() as u64).to_le_bytes());
    for (id, loc) in &summary.blobs {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&loc.commit_offset.to_le_bytes());
        out.extend_from_slice(&loc.len.to_le_bytes());
        out.extend_from_slice(&loc.record_bytes.to_le_bytes());
        out.push(u8::from(loc.damaged));
    }
    for id in &summary.refs {
        out.extend_from_slice(id.as_bytes());
    }
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Decodes a side file; `None` unless it is intact and belongs to segment `number` of length
/// `segment_len`.
pub(crate) fn decode_side_file(
    bytes: &[u8],
    number: u64,
    segment_len: u64,
) -> Option<SegmentSummary> {
    let (body, crc) = bytes.split_last_chunk::<4>()?;
    if crc32c::crc32c(body) != u32::from_le_bytes(*crc) || body.len() < HEADER_LEN {
        return None;
    }
    if body[0..8] != MAGIC || body[8..10] != VERSION.to_le_bytes() {
        return None;
    }
    if u64_at(body, 16)? != number || u64_at(body, 24)? != segment_len {
        return None;
    }
    let blob_count = usize::try_from(u64_at(body, 32)?).ok()?;
    let ref_count = usize::try_from(u64_at(body, 40)?).ok()?;
    let expected = HEADER_LEN
        .checked_add(blob_count.checked_mul(ENTRY_LEN)?)?
        .checked_add(ref_count.checked_mul(32)?)?;
    if body.len() != expected {
        return None;
    }
    let mut summary = SegmentSummary::default();
    let entries = &body[HEADER_LEN..HEADER_LEN + blob_count * ENTRY_LEN];
    for entry in entries.chunks_exact(ENTRY_LEN) {
        let id = BlobId::from_bytes(entry[0..32].try_into().ok()?);
        summary.blobs.push((
            id,
            Locator {
                segment: number,
                commit_offset: u64_at(entry, 32)?,
                end: u64_at(entry, 32)?,
                len: u64_at(entry, 40)?,
                record_bytes: u64_at(entry, 48)?,
                damaged: entry[56] != 0,
            },
        ));
    }
    for id in body[HEADER_LEN + blob_count * ENTRY_LEN..].chunks_exact(32) {
        summary.refs.push(BlobId::from_bytes(id.try_into().ok()?));
    }
    Some(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_file_round_trip_and_damage() {
        let summary = SegmentSummary {
            blobs: vec![(
                BlobId::from_bytes([7; 32]),
                Locator {
                    segment: 3,
                    commit_offset: 100,
                    end: 100,
                    len: 5,
                    record_bytes: 130,
                    damaged: false,
                },
            )],
            refs: vec![BlobId::from_bytes([7; 32])],
        };
        let bytes = encode_side_file(3, 4096, &summary);
        assert_eq!(decode_side_file(&bytes, 3, 4096), Some(summary));
        assert_eq!(decode_side_file(&bytes, 3, 4097), None, "segment grew");
        assert_eq!(decode_side_file(&bytes, 4, 4096), None, "other segment");
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert_eq!(decode_side_file(&bad, 3, 4096), None, "flip at {i}");
        }
        assert_eq!(decode_side_file(&bytes[..bytes.len() - 1], 3, 4096), None);
    }
}
