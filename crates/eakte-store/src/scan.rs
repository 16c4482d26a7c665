//! Turning a segment's frames back into blobs: used on open (checksums only) and by verify
//! (every piece decompressed and hashed).

use std::fs::File;

use blake3::hazmat::ChainingValue;
use eakte_segment::{ScanItem, Scanner};
use eakte_types::{BlobId, Sha256Digest};
use sha2::{Digest, Sha256};

use crate::index::Locator;
use crate::record::{
    Commit, FLAG_ZSTD, KIND_COMMIT, KIND_PIECE, KIND_REF, PIECE_LEN, decode_piece, piece_len,
};
use crate::tree;

/// Something found in a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// A committed blob; `problem` says what is wrong with it, if anything.
    Blob {
        id: BlobId,
        locator: Locator,
        problem: Option<String>,
    },
    /// A deduplicated put of an already stored blob.
    Ref(BlobId),
    /// Bytes that belong to no readable record.
    Damaged { offset: u64, len: u64 },
    /// The segment ends in an unfinished record starting here: what a crash during a put leaves.
    Torn { offset: u64 },
}

struct PendingPiece {
    offset: u64,
    frame_len: u64,
    raw_len: u64,
    problem: Option<String>,
    /// With deep checking: the piece's chaining value, and for a first piece also its plain hash.
    cv: Option<ChainingValue>,
    plain: Option<blake3::Hash>,
}

/// Reassembles records from frames.
struct Assembler<'a> {
    deep: bool,
    run: Vec<PendingPiece>,
    sha: Sha256,
    segment: u64,
    out: &'a mut dyn FnMut(Found),
    decompressor: Option<zstd::bulk::Decompressor<'static>>,
    scratch: Vec<u8>,
    /// Set when pieces of a failed put were dropped from the running SHA-256's run, which then
    /// cannot be compared with the commit's.
    sha_tainted: bool,
}

impl Assembler<'_> {
    fn piece(&mut self, offset: u64, frame_len: u64, flags: u8, payload: &[u8], ok: bool) {
        let index = self.run.len() as u64;
        let mut pending = PendingPiece {
            offset,
            frame_len,
            raw_len: 0,
            problem: None,
            cv: None,
            plain: None,
        };
        let Some(piece) = decode_piece(payload).filter(|_| ok) else {
            pending.problem = Some(format!(
                "piece {index} at offset {offset} fails its checksum"
            ));
            self.run.push(pending);
            return;
        };
        pending.raw_len = u64::from(piece.raw_len);
        if self.deep {
            match self.decode(flags, piece.data, piece.raw_len as usize) {
                Ok(()) => {
                    let mut hasher = tree::piece_hasher(index);
                    hasher.update(&self.scratch);
                    // Only pieces of multi-piece blobs have chaining values, and those are never
                    // empty (blake3 has no chaining value for an empty subtree).
                    if !self.scratch.is_empty() {
                        pending.cv = Some(tree::piece_cv(&hasher));
                    }
                    if index == 0 {
                        pending.plain = Some(hasher.finalize());
                    }
                    self.sha.update(&self.scratch);
                }
                Err(e) => pending.problem = Some(format!("piece {index} does not decode: {e}")),
            }
        }
        self.run.push(pending);
    }

    fn decode(&mut self, flags: u8, data: &[u8], raw_len: usize) -> Result<(), String> {
        if flags & FLAG_ZSTD == 0 {
            self.scratch.clear();
            self.scratch.extend_from_slice(data);
        } else {
            let decompressor = match &mut self.decompressor {
                Some(d) => d,
                None => self
                    .decompressor
                    .insert(zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?),
            };
            self.scratch.clear();
            self.scratch.reserve(raw_len);
            decompressor
                .decompress_to_buffer(data, &mut self.scratch)
                .map_err(|e| e.to_string())?;
        }
        if self.scratch.len() == raw_len {
            Ok(())
        } else {
            Err(format!("{} bytes instead of {raw_len}", self.scratch.len()))
        }
    }

    fn commit(&mut self, offset: u64, frame_len: u64, payload: &[u8], ok: bool) {
        let Some(commit) = Commit::decode(payload) else {
            // Without a readable commit the pieces before it belong to nobody.
            let start = self.run.first().map_or(offset, |p| p.offset);
            self.run.clear();
            self.reset_sha();
            (self.out)(Found::Damaged {
                offset: start,
                len: offset + frame_len - start,
            });
            return;
        };
        // Pieces before the commit's first piece are left over from a put that failed and could
        // not be cut back; they belong to no blob.
        let first = self
            .run
            .iter()
            .position(|p| p.offset == commit.first_piece_offset);
        if let Some(first) = first.filter(|f| *f > 0) {
            let orphan_start = self.run[0].offset;
            (self.out)(Found::Damaged {
                offset: orphan_start,
                len: commit.first_piece_offset - orphan_start,
            });
            self.run.drain(..first);
            self.sha_tainted = true;
        }
        let mut problem = if ok {
            None
        } else {
            Some("its commit record fails its checksum".to_owned())
        };
        if first.is_none() || self.run.len() as u64 != u64::from(commit.piece_count) {
            problem.get_or_insert_with(|| "its pieces are missing or damaged".to_owned());
        }
        let mut record_bytes = frame_len;
        for (i, piece) in self.run.iter().enumerate() {
            record_bytes += piece.frame_len;
            if problem.is_none() {
                if let Some(p) = &piece.problem {
                    problem = Some(p.clone());
                } else if piece.raw_len != piece_len(commit.len, i as u64) {
                    problem = Some(format!("piece {i} has the wrong length"));
                }
            }
        }
        let mut id = commit.id;
        if self.deep && self.run.iter().all(|p| p.problem.is_none()) {
            let actual = self.actual_id();
            if let Some(actual) = actual {
                if actual != commit.id {
                    // The pieces are intact, so the commit's id bytes are what is damaged: name
                    // the blob that is really stored.
                    problem.get_or_insert_with(|| format!("its commit names blob {}", commit.id));
                    id = actual;
                } else if self.run.len() > 1
                    && self
                        .run
                        .iter()
                        .zip(&commit.cvs)
                        .any(|(p, cv)| p.cv.as_ref() != Some(cv))
                {
                    problem.get_or_insert_with(|| "its piece table is damaged".to_owned());
                }
            }
            let sha = Sha256Digest::from_bytes(self.sha.finalize_reset().into());
            if sha != commit.sha256 && !self.sha_tainted {
                problem.get_or_insert_with(|| "its SHA-256 does not match".to_owned());
            }
        }
        let locator = Locator {
            segment: self.segment,
            commit_offset: offset,
            end: offset,
            len: commit.len,
            record_bytes,
            damaged: problem.is_some(),
        };
        self.run.clear();
        self.reset_sha();
        (self.out)(Found::Blob {
            id,
            locator,
            problem,
        });
    }

    fn actual_id(&self) -> Option<BlobId> {
        if self.run.len() == 1 {
            return self.run[0].plain.map(|h| BlobId::from_bytes(*h.as_bytes()));
        }
        let cvs: Option<Vec<ChainingValue>> = self.run.iter().map(|p| p.cv).collect();
        cvs.and_then(|cvs| tree::root(&cvs))
    }

    fn reset_sha(&mut self) {
        self.sha = Sha256::new();
        self.sha_tainted = false;
    }

    /// Pieces still waiting for a commit when another record starts at `offset` belong to a
    /// put that failed and could not be cut back: they are nobody's.
    fn orphans_before(&mut self, offset: u64) {
        if let Some(start) = self.unfinished() {
            self.run.clear();
            self.reset_sha();
            (self.out)(Found::Damaged {
                offset: start,
                len: offset - start,
            });
        }
    }

    /// Whatever pieces are still waiting for their commit.
    fn unfinished(&self) -> Option<u64> {
        self.run.first().map(|p| p.offset)
    }
}

/// Reads segment `number` (open as `file`, `len` bytes) from `start` and reports what it holds.
/// With `deep`, every piece is decompressed and hashed and every commit checked against it.
pub(crate) fn scan_segment(
    file: &File,
    number: u64,
    start: u64,
    len: u64,
    deep: bool,
    out: &mut dyn FnMut(Found),
) -> std::io::Result<()> {
    let mut assembler = Assembler {
        deep,
        run: Vec::new(),
        sha: Sha256::new(),
        segment: number,
        out,
        decompressor: None,
        scratch: Vec::with_capacity(if deep { PIECE_LEN } else { 0 }),
        sha_tainted: false,
    };
    let mut torn = None;
    // Where damage was met while pieces were waiting for their commit: such pieces at the end
    // are not a torn tail (a crash leaves no damage before its end) but a damaged record.
    let mut damage_in_run: Option<u64> = None;
    for item in Scanner::new(file, start, len) {
        if assembler.run.is_empty() {
            damage_in_run = None;
        }
        match item? {
            ScanItem::Frame {
                offset,
                header,
                payload,
                payload_ok,
            } => {
                let frame_len = header.frame_len();
                match header.kind {
                    KIND_PIECE => {
                        assembler.piece(offset, frame_len, header.flags, &payload, payload_ok)
                    }
                    KIND_COMMIT => assembler.commit(offset, frame_len, &payload, payload_ok),
                    KIND_REF if payload_ok && payload.len() == 32 => {
                        assembler.orphans_before(offset);
                        let id: [u8; 32] = payload.as_slice().try_into().unwrap_or_default();
                        (assembler.out)(Found::Ref(BlobId::from_bytes(id)));
                    }
                    _ => (assembler.out)(Found::Damaged {
                        offset,
                        len: frame_len,
                    }),
                }
            }
            ScanItem::Damaged { offset, len } => {
                // A damaged stretch inside a record breaks that record; mark its pieces so the
                // commit (if it survived) reports the blob as damaged.
                if !assembler.run.is_empty() {
                    damage_in_run.get_or_insert(offset);
                }
                for piece in &mut assembler.run {
                    piece
                        .problem
                        .get_or_insert_with(|| "a frame of the record is damaged".to_owned());
                }
                (assembler.out)(Found::Damaged { offset, len });
            }
            ScanItem::Torn { offset } => torn = Some(offset),
        }
    }
    // Pieces without their commit at the end were never acknowledged, like a torn frame, unless
    // damage lies among them.
    let cut = match (assembler.unfinished(), damage_in_run) {
        (Some(run), Some(damage)) => {
            (assembler.out)(Found::Damaged {
                offset: run,
                len: damage - run,
            });
            torn
        }
        (Some(run), None) => Some(torn.map_or(run, |torn| run.min(torn))),
        (None, _) => torn,
    };
    if let Some(offset) = cut {
        (assembler.out)(Found::Torn { offset });
    }
    Ok(())
}
