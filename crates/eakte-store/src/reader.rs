//! `BlobReader`: streams a blob's original bytes, verifying each piece before handing it out.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use eakte_segment::{FRAME_HEADER_LEN, FrameHeader};
use eakte_types::BlobId;

use crate::StoreError;
use crate::record::{Commit, FLAG_ZSTD, KIND_PIECE, PIECE_LEN, decode_piece, piece_len};
use crate::tree;

/// Reads one blob. Before the first byte, the piece table was checked against the blob id; each
/// piece is decompressed and hashed before any of its bytes are returned. A failed check is an
/// `io::Error` of kind `InvalidData` carrying [`StoreError::Corruption`]; use
/// [`into_store_error`] to get it back.
pub struct BlobReader {
    file: Arc<File>,
    commit: Commit,
    segment: u64,
    next_piece: u64,
    next_offset: u64,
    piece: Vec<u8>,
    pos: usize,
    stored: Vec<u8>,
    decompressor: Option<zstd::bulk::Decompressor<'static>>,
}

impl BlobReader {
    pub(crate) fn new(file: Arc<File>, commit: Commit, segment: u64) -> Self {
        Self {
            file,
            next_offset: commit.first_piece_offset,
            commit,
            segment,
            next_piece: 0,
            piece: Vec::new(),
            pos: 0,
            stored: Vec::new(),
            decompressor: None,
        }
    }

    /// The blob's id.
    pub fn id(&self) -> BlobId {
        self.commit.id
    }

    /// The blob's length in bytes.
    pub fn len(&self) -> u64 {
        self.commit.len
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.commit.len == 0
    }

    fn corrupt(&self, what: String) -> StoreError {
        StoreError::corrupt(
            self.commit.id,
            format!(
                "piece {} (segment {} offset {}): {what}",
                self.next_piece, self.segment, self.next_offset
            ),
        )
    }

    /// Reads, decodes and checks the next piece; its bytes are then `self.piece[self.pos..]`.
    fn load_piece(&mut self) -> Result<(), StoreError> {
        let index = self.next_piece;
        let mut header = [0u8; FRAME_HEADER_LEN];
        self.read_at(&mut header, self.next_offset)?;
        // A piece payload is its 4-byte length and at most one piece of bytes (compressed only
        // when that is smaller): a larger length is damage, and is not allocated for.
        let header = FrameHeader::decode(&header)
            .filter(|h| h.kind == KIND_PIECE && h.len as usize <= 4 + PIECE_LEN)
            .ok_or_else(|| self.corrupt("frame header is damaged".into()))?;
        let mut stored = std::mem::take(&mut self.stored);
        stored.resize(header.len as usize, 0);
        self.read_at(&mut stored, self.next_offset + FRAME_HEADER_LEN as u64)?;
        let result = self.decode(header.flags, &mut stored, index);
        self.stored = stored;
        result?;
        self.next_offset += header.frame_len();
        self.next_piece += 1;
        Ok(())
    }

    /// Decodes a piece payload. The frame checksum is not checked here: the piece's blake3
    /// hash, checked against the commit (itself checked against the blob id), is stronger.
    fn decode(&mut self, flags: u8, stored: &mut Vec<u8>, index: u64) -> Result<(), StoreError> {
        let expected_len = piece_len(self.commit.len, index) as usize;
        let piece = decode_piece(stored)
            .filter(|p| p.raw_len as usize == expected_len)
            .ok_or_else(|| self.corrupt("has the wrong length".into()))?;
        if flags & FLAG_ZSTD == 0 {
            if piece.data.len() != expected_len {
                return Err(self.corrupt("has the wrong length".into()));
            }
            // Serve a raw piece straight from the read buffer, after its 4-byte length.
            std::mem::swap(stored, &mut self.piece);
            self.pos = 4;
        } else {
            let decompressor = match &mut self.decompressor {
                Some(d) => d,
                None => self.decompressor.insert(
                    zstd::bulk::Decompressor::new()
                        .map_err(|e| StoreError::io(format!("segment {}", self.segment), e))?,
                ),
            };
            self.piece.clear();
            // The output buffer's capacity bounds what a damaged frame can make us allocate.
            self.piece.reserve(PIECE_LEN.min(expected_len));
            let decoded = decompressor.decompress_to_buffer(piece.data, &mut self.piece);
            self.pos = 0;
            if decoded.is_err() || self.piece.len() != expected_len {
                self.piece.clear();
                return Err(self.corrupt("does not decompress".into()));
            }
        }
        let mut hasher = tree::piece_hasher(index);
        hasher.update(&self.piece[self.pos..]);
        let matches = if self.commit.piece_count == 1 {
            hasher.finalize().as_bytes() == self.commit.id.as_bytes()
        } else {
            self.commit.cvs.get(index as usize) == Some(&tree::piece_cv(&hasher))
        };
        if matches {
            Ok(())
        } else {
            // Not one byte of a piece that fails its hash is handed out.
            self.piece.clear();
            self.pos = 0;
            Err(self.corrupt("does not match the blob id".into()))
        }
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<(), StoreError> {
        self.file.read_exact_at(buf, offset).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                self.corrupt("the segment ends early".into())
            } else {
                StoreError::io(format!("segment {}", self.segment), e)
            }
        })
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.piece.len() {
            if self.next_piece >= u64::from(self.commit.piece_count) || buf.is_empty() {
                return Ok(0);
            }
            self.load_piece().map_err(into_io_error)?;
            if self.pos >= self.piece.len() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.piece.len() - self.pos);
        buf[..n].copy_from_slice(&self.piece[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn into_io_error(e: StoreError) -> std::io::Error {
    let kind = match &e {
        StoreError::Corruption { .. } => std::io::ErrorKind::InvalidData,
        _ => std::io::ErrorKind::Other,
    };
    std::io::Error::new(kind, e)
}

/// Recovers the [`StoreError`] inside an error returned by [`BlobReader`]'s `read`; any other
/// I/O error is returned as [`StoreError::Input`].
pub fn into_store_error(e: std::io::Error) -> StoreError {
    if !e.get_ref().is_some_and(|inner| inner.is::<StoreError>()) {
        return StoreError::Input(e);
    }
    match e.into_inner().map(|inner| inner.downcast::<StoreError>()) {
        Some(Ok(store)) => *store,
        Some(Err(other)) => StoreError::Input(std::io::Error::other(other)),
        None => StoreError::Input(std::io::Error::other("an i/o error without detail")),
    }
}
