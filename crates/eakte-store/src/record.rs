//! The store's frame kinds and their payloads: pieces of a blob, the commit that names it, and
//! the reference that records a deduplicated put.
//!
//! A blob is written as its piece frames followed by one commit frame. A piece frame holds up to
//! [`PIECE_LEN`] original bytes, zstd-compressed (flag [`FLAG_ZSTD`]) or raw. The commit frame
//! holds the blob id, SHA-256, length, where the pieces start, and for blobs of more than one piece
//! the blake3 chaining value of every piece, so that a reader can check each piece before it hands
//! out its bytes. A blob whose pieces are not followed by their commit was never acknowledged.

use eakte_segment::{FRAME_HEADER_LEN, frame_header};
use eakte_types::{BlobId, Sha256Digest};

/// Original bytes per piece: 1 MiB, a power of two so that pieces are whole blake3 subtrees.
pub const PIECE_LEN: usize = 1 << 20;
pub(crate) const PIECE_SHIFT: u8 = 20;

/// The format version written in every store segment header.
pub(crate) const STORE_FORMAT: u16 = 1;
/// The log name in store segment headers.
pub(crate) const STORE_LOG: [u8; 4] = *b"BLOB";

pub(crate) const KIND_PIECE: u8 = 1;
pub(crate) const KIND_COMMIT: u8 = 2;
pub(crate) const KIND_REF: u8 = 3;

/// Piece flag: the payload is a zstd frame.
pub(crate) const FLAG_ZSTD: u8 = 1;

/// The most pieces one blob may have: the commit's chaining values must fit one frame.
pub(crate) const MAX_PIECES: u64 = (eakte_segment::MAX_FRAME_PAYLOAD as u64 - 128) / 32;

const COMMIT_FIXED_LEN: usize = 88;

/// Bytes of a piece frame before the piece's data.
pub(crate) const PIECE_PREFIX_LEN: usize = FRAME_HEADER_LEN + 4;

/// A decoded piece payload.
pub(crate) struct Piece<'a> {
    pub raw_len: u32,
    pub data: &'a [u8],
}

/// The first 20 bytes of a piece frame — frame header and original length — for a piece of
/// `raw_len` original bytes stored as `data`; `data` follows them.
pub(crate) fn piece_frame_prefix(raw_len: u32, flags: u8, data: &[u8]) -> [u8; PIECE_PREFIX_LEN] {
    let len = raw_len.to_le_bytes();
    let mut out = [0u8; PIECE_PREFIX_LEN];
    out[..FRAME_HEADER_LEN].copy_from_slice(&frame_header(KIND_PIECE, flags, &[&len, data]));
    out[FRAME_HEADER_LEN..].copy_from_slice(&len);
    out
}

pub(crate) fn decode_piece(payload: &[u8]) -> Option<Piece<'_>> {
    let (len, data) = payload.split_first_chunk::<4>()?;
    let raw_len = u32::from_le_bytes(*len);
    (raw_len as usize <= PIECE_LEN).then_some(Piece { raw_len, data })
}

/// A decoded commit payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Commit {
    pub id: BlobId,
    pub sha256: Sha256Digest,
    pub len: u64,
    pub piece_count: u32,
    pub first_piece_offset: u64,
    /// One chaining value per piece when there is more than one piece, else empty.
    pub cvs: Vec<[u8; 32]>,
}

impl Commit {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(COMMIT_FIXED_LEN + 32 * self.cvs.len());
        out.extend_from_slice(self.id.as_bytes());
        out.extend_from_slice(self.sha256.as_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.piece_count.to_le_bytes());
        out.push(PIECE_SHIFT);
        out.extend_from_slice(&[0u8; 3]);
        out.extend_from_slice(&self.first_piece_offset.to_le_bytes());
        for cv in &self.cvs {
            out.extend_from_slice(cv);
        }
        out
    }

    /// Decodes and checks the payload's inner consistency (piece count against length, one
    /// chaining value per piece).
    pub fn decode(payload: &[u8]) -> Option<Self> {
        if payload.len() < COMMIT_FIXED_LEN {
            return None;
        }
        let id = BlobId::from_bytes(payload[0..32].try_into().ok()?);
        let sha256 = Sha256Digest::from_bytes(payload[32..64].try_into().ok()?);
        let len = u64::from_le_bytes(payload[64..72].try_into().ok()?);
        let piece_count = u32::from_le_bytes(payload[72..76].try_into().ok()?);
        if payload[76] != PIECE_SHIFT {
            return None;
        }
        let first_piece_offset = u64::from_le_bytes(payload[80..88].try_into().ok()?);
        if u64::from(piece_count) != pieces_for(len) {
            return None;
        }
        let rest = &payload[COMMIT_FIXED_LEN..];
        let expected_cvs = if piece_count > 1 {
            piece_count as usize
        } else {
            0
        };
        if rest.len() != 32 * expected_cvs {
            return None;
        }
        let cvs = rest
            .chunks_exact(32)
            .map(|c| c.try_into().unwrap_or([0; 32]))
            .collect();
        Some(Self {
            id,
            sha256,
            len,
            piece_count,
            first_piece_offset,
            cvs,
        })
    }
}

/// The length of the commit payload of a blob of `len` bytes.
pub(crate) fn commit_payload_len(len: u64) -> u64 {
    let pieces = pieces_for(len);
    COMMIT_FIXED_LEN as u64 + if pieces > 1 { 32 * pieces } else { 0 }
}

/// How many pieces a blob of `len` bytes has; the empty blob has one empty piece.
pub(crate) fn pieces_for(len: u64) -> u64 {
    len.div_ceil(PIECE_LEN as u64).max(1)
}

/// The original length of piece `index` of a blob of `len` bytes.
pub(crate) fn piece_len(len: u64, index: u64) -> u64 {
    (len - index * PIECE_LEN as u64).min(PIECE_LEN as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_round_trip_and_consistency() {
        let commit = Commit {
            id: BlobId::from_bytes([1; 32]),
            sha256: Sha256Digest::from_bytes([2; 32]),
            len: 3 * PIECE_LEN as u64 - 5,
            piece_count: 3,
            first_piece_offset: 32,
            cvs: vec![[3; 32], [4; 32], [5; 32]],
        };
        let bytes = commit.encode();
        assert_eq!(Commit::decode(&bytes), Some(commit.clone()));
        // A commit whose chaining values do not match its piece count is refused.
        assert_eq!(Commit::decode(&bytes[..bytes.len() - 32]), None);
        let mut wrong_len = commit;
        wrong_len.len = 10;
        assert_eq!(Commit::decode(&wrong_len.encode()), None);
    }

    #[test]
    fn piece_frame_decodes() {
        let mut frame = piece_frame_prefix(5, FLAG_ZSTD, b"abc").to_vec();
        frame.extend_from_slice(b"abc");
        let header =
            eakte_segment::FrameHeader::decode(frame[..FRAME_HEADER_LEN].try_into().unwrap())
                .unwrap();
        assert_eq!((header.kind, header.flags), (KIND_PIECE, FLAG_ZSTD));
        assert!(header.payload_ok(&frame[FRAME_HEADER_LEN..]));
        let piece = decode_piece(&frame[FRAME_HEADER_LEN..]).unwrap();
        assert_eq!((piece.raw_len, piece.data), (5, &b"abc"[..]));
    }

    #[test]
    fn piece_arithmetic() {
        assert_eq!(pieces_for(0), 1);
        assert_eq!(pieces_for(PIECE_LEN as u64), 1);
        assert_eq!(pieces_for(PIECE_LEN as u64 + 1), 2);
        assert_eq!(piece_len(PIECE_LEN as u64 + 1, 1), 1);
        assert_eq!(piece_len(0, 0), 0);
    }
}
