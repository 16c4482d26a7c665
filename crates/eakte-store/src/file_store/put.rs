//! The write side of `FileStore`: put of one piece, streamed put, deduplicated put, compression,
//! appends with cut-back on failure, and segment roll-over.

use std::io::Read;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, MutexGuard};

use eakte_segment::{
    FRAME_HEADER_LEN, Position, SEGMENT_HEADER_LEN, encode_frame, write_file_durably,
};
use eakte_types::{BlobId, Sha256Digest};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::{FileStore, Writer, read_piece};
use crate::api::PutOutcome;
use crate::index::{Locator, encode_side_file};
use crate::record::{
    Commit, FLAG_ZSTD, KIND_COMMIT, KIND_REF, MAX_PIECES, PIECE_LEN, piece_frame_prefix,
};
use crate::recovery::new_writer;
use crate::{StoreError, tree};

impl FileStore {
    /// Compresses one piece; `None` when compression does not pay and the piece is stored raw.
    fn compress(&self, raw: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let pooled = self
            .compressors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        let mut compressor = match pooled {
            Some(c) => c,
            None => zstd::bulk::Compressor::new(self.config.zstd_level)
                .map_err(|e| StoreError::io(self.segments.path(), e))?,
        };
        let compressed = if self.looks_incompressible(&mut compressor, raw) {
            Ok(None)
        } else {
            compressor
                .compress(raw)
                .map(|c| self.pays(c.len(), raw.len()).then_some(c))
                .map_err(|e| StoreError::io(self.segments.path(), e))
        };
        self.compressors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(compressor);
        compressed
    }

    fn pays(&self, compressed: usize, raw: usize) -> bool {
        compressed as f64 <= raw as f64 * self.config.max_compressed_ratio
    }

    /// For a large piece, compresses two 64 KiB samples (start and middle) first: when neither
    /// pays, the piece is stored raw without compressing all of it. Scans in JPEG are the common
    /// case, and this saves most of the work of trying.
    fn looks_incompressible(
        &self,
        compressor: &mut zstd::bulk::Compressor<'static>,
        raw: &[u8],
    ) -> bool {
        const SAMPLE: usize = 64 * 1024;
        if raw.len() < 4 * SAMPLE {
            return false;
        }
        let mid = raw.len() / 2;
        [&raw[..SAMPLE], &raw[mid..mid + SAMPLE]]
            .iter()
            .all(|sample| match compressor.compress(sample) {
                Ok(c) => !self.pays(c.len(), sample.len()),
                Err(_) => false,
            })
    }

    /// Compresses a piece while the other core runs `hashing` over it.
    fn compress_beside<T: Send>(
        &self,
        raw: &[u8],
        hashing: impl FnOnce() -> T + Send,
    ) -> Result<(T, Option<Vec<u8>>), StoreError> {
        // Below this, starting a thread costs more than it saves.
        const PARALLEL_MIN: usize = 128 * 1024;
        if raw.len() < PARALLEL_MIN {
            let hashed = hashing();
            return Ok((hashed, self.compress(raw)?));
        }
        std::thread::scope(|scope| {
            let hashing = scope.spawn(hashing);
            let compressed = self.compress(raw);
            match hashing.join() {
                Ok(hashed) => compressed.map(|compressed| (hashed, compressed)),
                Err(_) => Err(StoreError::io(
                    self.segments.path(),
                    std::io::Error::other("the hashing thread panicked"),
                )),
            }
        })
    }

    /// Appends bytes to the active segment; on failure cuts the segment back to `start`, and
    /// refuses further puts if even that fails.
    fn append(&self, writer: &mut Writer, start: u64, bytes: &[u8]) -> Result<(), StoreError> {
        match writer.file.write_all_at(bytes, writer.len) {
            Ok(()) => {
                writer.len += bytes.len() as u64;
                self.set_tail(writer);
                Ok(())
            }
            Err(e) => {
                let path = self.segments.segment(writer.number);
                // The write error is what the caller needs to hear; a failed cut-back has
                // already poisoned the writer.
                let _ = self.cut_back(writer, start);
                Err(StoreError::io(path, e))
            }
        }
    }

    fn set_tail(&self, writer: &Writer) {
        let mut tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        tail.end = writer.position();
        tail.clean = writer.clean_len;
        if !Arc::ptr_eq(&tail.file, &writer.file) {
            tail.file = Arc::clone(&writer.file);
        }
    }

    /// Appends one piece frame, writing the raw or compressed bytes from where they lie.
    fn append_piece(
        &self,
        writer: &mut Writer,
        start: u64,
        raw: &[u8],
        compressed: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let (flags, data) = match compressed {
            Some(c) => (FLAG_ZSTD, c),
            None => (0, raw),
        };
        self.append(
            writer,
            start,
            &piece_frame_prefix(raw.len() as u32, flags, data),
        )?;
        self.append(writer, start, data)
    }

    /// Removes what a put wrote after `start`. If that fails, no further put is accepted: the
    /// half-written record would otherwise lie between acknowledged ones.
    pub(super) fn cut_back(&self, writer: &mut Writer, start: u64) -> Result<(), StoreError> {
        let position = Position {
            segment: writer.number,
            offset: start,
        };
        match writer.file.set_len(start) {
            Ok(()) => {
                writer.len = start;
                writer.clean_len = start;
                self.set_tail(writer);
                // Only now: a sync that reads the new generation must also read the new tail,
                // and one that read the old generation has its result thrown away.
                self.sync.retreat(position);
                Ok(())
            }
            Err(e) => {
                warn!(segment = writer.number, error = %e, "cannot cut back a failed put");
                let why = format!("cannot cut back a failed put: {e}");
                writer.poisoned = Some(why.clone());
                Err(eakte_segment::SegmentError::Poisoned(why).into())
            }
        }
    }

    /// Seals the active segment and starts the next one when it is full.
    fn roll_if_full(&self, writer: &mut Writer) -> Result<(), StoreError> {
        if writer.len < self.config.segment_max_bytes || writer.len <= SEGMENT_HEADER_LEN {
            return Ok(());
        }
        // The sealed segment must be durable before the next one exists: group commit relies on
        // syncing only the newest segment. The sync goes through the group sync like every other,
        // so that a failed fsync poisons the store before anything counts as durable.
        self.wait_durable(writer.position())?;
        let side = encode_side_file(writer.number, writer.len, &writer.summary);
        write_file_durably(&self.segments.file(writer.number, "idx"), &side)?;
        *writer = new_writer(&self.segments, writer.number + 1)?;
        self.set_tail(writer);
        info!(segment = writer.number, "started a new segment");
        Ok(())
    }

    pub(super) fn put_single(&self, data: &[u8]) -> Result<PutOutcome, StoreError> {
        // Both hashes run beside the compression; a duplicate then costs a compression it did not
        // need, which is cheaper than hashing first on the path of every new blob.
        let ((id, sha256), compressed) = self.compress_beside(data, || {
            (
                BlobId::from_bytes(*blake3::hash(data).as_bytes()),
                Sha256Digest::from_bytes(Sha256::digest(data).into()),
            )
        })?;
        let outcome = PutOutcome {
            id,
            sha256,
            len: data.len() as u64,
            deduplicated: false,
        };
        if self.has_readable_copy(&id)? {
            return self.put_duplicate(self.lock_writer()?, outcome);
        }
        let (flags, stored) = match &compressed {
            Some(c) => (FLAG_ZSTD, &c[..]),
            None => (0, data),
        };
        let mut bytes = Vec::with_capacity(stored.len() + 160);
        bytes.extend_from_slice(&piece_frame_prefix(data.len() as u32, flags, stored));
        bytes.extend_from_slice(stored);
        let mut writer = self.lock_writer()?;
        // Another put may have stored the same bytes while this one compressed.
        if self.has_readable_copy(&id)? {
            return self.put_duplicate(writer, outcome);
        }
        self.roll_if_full(&mut writer)?;
        let start = writer.len;
        let commit_offset = start + bytes.len() as u64;
        let commit = Commit {
            id,
            sha256,
            len: outcome.len,
            piece_count: 1,
            first_piece_offset: start,
            cvs: Vec::new(),
        };
        encode_frame(KIND_COMMIT, 0, &commit.encode(), &mut bytes);
        self.append(&mut writer, start, &bytes)?;
        self.record_blob(
            &mut writer,
            id,
            commit_offset,
            outcome.len,
            bytes.len() as u64,
        );
        let target = writer.position();
        drop(writer);
        self.wait_durable(target)?;
        Ok(outcome)
    }

    /// Whether an intact, durable copy of `id` is stored, read back and checked in full: a put
    /// is deduplicated only against bytes that really can be read. A copy that fails the check
    /// is marked damaged, and the put stores a fresh one.
    pub(super) fn has_readable_copy(&self, id: &BlobId) -> Result<bool, StoreError> {
        let Some(read) = self.read_index().blobs.get(id).copied() else {
            return Ok(false);
        };
        if read.damaged {
            return Ok(false);
        }
        let checked = self.open_blob(id).and_then(|mut reader| {
            std::io::copy(&mut reader, &mut std::io::sink())
                .map_err(crate::reader::into_store_error)
        });
        let problem = match checked {
            Ok(_) => return Ok(true),
            // After a failed fsync nothing may be acknowledged: that is the put's error too.
            Err(e @ StoreError::Segment(eakte_segment::SegmentError::Poisoned(_))) => {
                return Err(e);
            }
            Err(StoreError::NotFound(_)) => return Ok(false),
            // Corrupt, or unreadable (a bad sector): either way a fresh copy is needed.
            Err(e) => e.to_string(),
        };
        warn!(blob = %id, problem, "stored copy cannot be read back; storing the bytes again");
        // Mark the copy that was read, not one another put may have written meanwhile.
        if let Some(current) = self.write_index().blobs.get_mut(id)
            && current.segment == read.segment
            && current.commit_offset == read.commit_offset
        {
            current.damaged = true;
        }
        Ok(false)
    }

    fn record_blob(
        &self,
        writer: &mut Writer,
        id: BlobId,
        commit_offset: u64,
        len: u64,
        record_bytes: u64,
    ) {
        let locator = Locator {
            segment: writer.number,
            commit_offset,
            end: writer.len,
            len,
            record_bytes,
            damaged: false,
        };
        writer.clean_len = writer.len;
        self.set_tail(writer);
        writer.summary.blobs.push((id, locator));
        // A fresh copy replaces a damaged one, if there was one.
        self.write_index().blobs.insert(id, locator);
    }

    /// Records a put of bytes that are already stored (a small ref frame, so that stats can tell
    /// how much deduplication saved) and returns once it, and so the stored copy before it, is
    /// durable.
    fn put_duplicate(
        &self,
        mut writer: MutexGuard<'_, Writer>,
        outcome: PutOutcome,
    ) -> Result<PutOutcome, StoreError> {
        self.roll_if_full(&mut writer)?;
        let start = writer.len;
        let mut bytes = Vec::with_capacity(FRAME_HEADER_LEN + 32);
        encode_frame(KIND_REF, 0, outcome.id.as_bytes(), &mut bytes);
        self.append(&mut writer, start, &bytes)?;
        writer.clean_len = writer.len;
        self.set_tail(&writer);
        writer.summary.refs.push(outcome.id);
        *self.write_index().refs.entry(outcome.id).or_default() += 1;
        let target = writer.position();
        drop(writer);
        self.wait_durable(target)?;
        Ok(PutOutcome {
            deduplicated: true,
            ..outcome
        })
    }

    /// Streams a blob of more than one piece into the active segment. The writer lock is held
    /// throughout, so the pieces lie together and are followed by their commit.
    pub(super) fn put_stream(
        &self,
        first: Vec<u8>,
        second: Vec<u8>,
        input: &mut dyn Read,
    ) -> Result<PutOutcome, StoreError> {
        let mut writer = self.lock_writer()?;
        self.roll_if_full(&mut writer)?;
        let start = writer.len;
        let streamed = self.stream_pieces(&mut writer, start, first, second, input);
        match streamed {
            Ok((outcome, Some(commit))) => {
                let commit_offset = writer.len;
                let mut frame = Vec::with_capacity(commit.len() + FRAME_HEADER_LEN);
                encode_frame(KIND_COMMIT, 0, &commit, &mut frame);
                self.append(&mut writer, start, &frame)?;
                let record_bytes = writer.len - start;
                self.record_blob(
                    &mut writer,
                    outcome.id,
                    commit_offset,
                    outcome.len,
                    record_bytes,
                );
                let target = writer.position();
                drop(writer);
                self.wait_durable(target)?;
                Ok(outcome)
            }
            Ok((outcome, None)) => {
                // Already stored: the pieces just written are not needed.
                self.cut_back(&mut writer, start)?;
                self.put_duplicate(writer, outcome)
            }
            Err(e) => {
                if writer.len != start {
                    // A failed cut-back poisons the writer; the first error is the one to report.
                    let _ = self.cut_back(&mut writer, start);
                }
                Err(e)
            }
        }
    }

    /// Writes the pieces; returns the outcome and the encoded commit, or no commit when the blob
    /// turns out to be stored already.
    ///
    /// A flusher thread fsyncs the segment every few MiB while the pieces are still being
    /// prepared, so that the disk writes back during the CPU work instead of all at the end.
    fn stream_pieces(
        &self,
        writer: &mut Writer,
        start: u64,
        first: Vec<u8>,
        second: Vec<u8>,
        input: &mut dyn Read,
    ) -> Result<(PutOutcome, Option<Vec<u8>>), StoreError> {
        let (flush_requests, flush_queue) = std::sync::mpsc::sync_channel::<Position>(1);
        std::thread::scope(|scope| {
            // Every fsync goes through the group sync, so that there is one at a time and a
            // failure poisons the store before any position counts as durable.
            let flusher = scope.spawn(move || -> Result<(), StoreError> {
                for target in flush_queue {
                    self.wait_durable(target)?;
                }
                Ok(())
            });
            let streamed =
                self.stream_pieces_flushing(writer, start, first, second, input, &flush_requests);
            drop(flush_requests);
            let flushed = flusher.join().unwrap_or_else(|_| {
                Err(StoreError::io(
                    self.segments.path(),
                    std::io::Error::other("the flusher thread panicked"),
                ))
            });
            // A failed fsync has poisoned the group sync already; the put fails with it.
            flushed?;
            streamed
        })
    }

    fn stream_pieces_flushing(
        &self,
        writer: &mut Writer,
        start: u64,
        first: Vec<u8>,
        second: Vec<u8>,
        input: &mut dyn Read,
        flush_requests: &std::sync::mpsc::SyncSender<Position>,
    ) -> Result<(PutOutcome, Option<Vec<u8>>), StoreError> {
        /// How many bytes of pieces are written between flush requests.
        const FLUSH_EVERY: usize = 8 * PIECE_LEN;
        let mut sha = Sha256::new();
        let mut cvs = Vec::new();
        let mut len = 0u64;
        let mut current = first;
        let mut next = second;
        let mut written_since_flush = 0;
        while !current.is_empty() {
            if cvs.len() as u64 >= MAX_PIECES {
                return Err(StoreError::TooLarge {
                    limit: MAX_PIECES * PIECE_LEN as u64,
                });
            }
            let index = cvs.len() as u64;
            let piece = &current;
            let sha = &mut sha;
            let (cv, compressed) = self.compress_beside(piece, move || {
                let mut hasher = tree::piece_hasher(index);
                hasher.update(piece);
                sha.update(piece);
                tree::piece_cv(&hasher)
            })?;
            cvs.push(cv);
            len += current.len() as u64;
            self.append_piece(writer, start, &current, compressed.as_deref())?;
            written_since_flush += current.len();
            if written_since_flush >= FLUSH_EVERY {
                // Start writing back what is there while the next pieces are prepared; if the
                // flusher is still busy, the next request will cover these bytes too.
                let _ = flush_requests.try_send(writer.position());
                written_since_flush = 0;
            }
            let full = current.len() == PIECE_LEN;
            std::mem::swap(&mut current, &mut next);
            if full && !current.is_empty() {
                read_piece(input, &mut next)?;
            } else {
                next.clear();
            }
        }
        let Some(id) = tree::root(&cvs) else {
            unreachable!("a streamed blob has at least two pieces");
        };
        let outcome = PutOutcome {
            id,
            sha256: Sha256Digest::from_bytes(sha.finalize().into()),
            len,
            deduplicated: false,
        };
        if self.has_readable_copy(&outcome.id)? {
            return Ok((outcome, None));
        }
        let commit = Commit {
            id: outcome.id,
            sha256: outcome.sha256,
            len,
            piece_count: cvs.len() as u32,
            first_piece_offset: start,
            cvs,
        };
        Ok((outcome, Some(commit.encode())))
    }
}
