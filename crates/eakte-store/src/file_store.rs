//! `FileStore`: the blob store on local segment files: open and recovery, put with group commit,
//! reads, stats.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use eakte_config::StoreConfig;
use eakte_segment::{
    FRAME_HEADER_LEN, FrameHeader, GroupSync, Position, SEGMENT_HEADER_LEN, SegmentDir,
    encode_frame, write_file_durably,
};
use eakte_types::{BlobId, Sha256Digest};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::api::{BlobMeta, BlobStore, PutOutcome, StoreStats, VerifyReport};
use crate::index::{Locator, SegmentSummary, encode_side_file};
use crate::reader::BlobReader;
use crate::record::{
    Commit, FLAG_ZSTD, KIND_COMMIT, KIND_REF, MAX_PIECES, PIECE_LEN, commit_payload_len,
    piece_frame_prefix,
};
use crate::recovery::{create_dir_durably, load_sealed, new_writer, recover_active};
use crate::{StoreError, tree};

/// The locator index and the counts of deduplicated puts.
#[derive(Default)]
pub(crate) struct Index {
    pub blobs: HashMap<BlobId, Locator>,
    /// How many deduplicated puts each blob has had.
    pub refs: HashMap<BlobId, u64>,
}

impl Index {
    fn add(&mut self, summary: &SegmentSummary) {
        for (id, loc) in &summary.blobs {
            self.insert(*id, *loc);
        }
        for id in &summary.refs {
            *self.refs.entry(*id).or_default() += 1;
        }
    }

    /// Records a blob just written (its id was not stored intact before).
    fn insert_fresh(&mut self, id: BlobId, loc: Locator) {
        self.blobs.insert(id, loc);
    }

    /// Adds a copy found on open. A blob is stored a second time only after its first copy was
    /// found damaged, so a later intact copy wins; a damaged copy never replaces an intact one.
    fn insert(&mut self, id: BlobId, loc: Locator) {
        match self.blobs.get(&id) {
            Some(old) if loc.damaged && !old.damaged => {}
            _ => {
                self.blobs.insert(id, loc);
            }
        }
    }
}

/// The segment being appended to.
pub(crate) struct Writer {
    pub number: u64,
    pub file: Arc<File>,
    pub len: u64,
    pub summary: SegmentSummary,
    /// The end of the last complete record: where a put that failed half-way (or panicked in
    /// its caller's reader) is cut back to.
    pub clean_len: u64,
    /// Set when a failed put could not be cut back; no further put is accepted.
    pub poisoned: Option<String>,
}

impl Writer {
    fn position(&self) -> Position {
        Position {
            segment: self.number,
            offset: self.len,
        }
    }
}

/// The content-addressed blob store on local segment files. See the crate documentation.
pub struct FileStore {
    segments: SegmentDir,
    quarantine: PathBuf,
    config: StoreConfig,
    index: RwLock<Index>,
    writer: Mutex<Writer>,
    /// The end of what has been written and the file it is in, kept apart from the writer lock
    /// so that a put streaming a slow input does not hold up the fsync others wait for.
    tail: Mutex<(Position, Arc<File>)>,
    sync: GroupSync,
    read_files: RwLock<HashMap<u64, Arc<File>>>,
    compressors: Mutex<Vec<zstd::bulk::Compressor<'static>>>,
    /// Held for the store's lifetime: one process at a time owns the directory.
    _lock: File,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::io(path, e)
}

/// Reads up to one piece from `input`: fills `buf` (cleared first) with at most `PIECE_LEN` bytes.
fn read_piece(input: &mut dyn Read, buf: &mut Vec<u8>) -> Result<usize, StoreError> {
    buf.clear();
    input
        .take(PIECE_LEN as u64)
        .read_to_end(buf)
        .map_err(StoreError::Input)
}

impl FileStore {
    /// Opens (creating when missing) the store in directory `dir`, recovering from a crash: an
    /// unfinished record at the end of the newest segment is moved to `quarantine/` and cut off.
    pub fn open(dir: &Path, config: &StoreConfig) -> Result<Self, StoreError> {
        create_dir_durably(dir)?;
        let lock_path = dir.join("LOCK");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    path: dir.to_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io(&lock_path, e)),
        }
        let segments = SegmentDir::open(dir.join("segments"), "seg")?;
        let quarantine = dir.join("quarantine");
        let mut index = Index::default();
        let mut numbers = segments.list()?;
        let active = numbers.pop();
        for number in numbers {
            let summary = load_sealed(&segments, number)?;
            index.add(&summary);
        }
        let writer = match active {
            Some(number) => {
                let (writer, sealed) = recover_active(&segments, &quarantine, number)?;
                if let Some(sealed) = sealed {
                    index.add(&sealed);
                }
                writer
            }
            None => new_writer(&segments, 1)?,
        };
        index.add(&writer.summary);
        info!(
            blobs = index.blobs.len(),
            segment = writer.number,
            "blob store opened"
        );
        Ok(Self {
            sync: GroupSync::new(writer.position()),
            tail: Mutex::new((writer.position(), Arc::clone(&writer.file))),
            segments,
            quarantine,
            config: config.clone(),
            index: RwLock::new(index),
            writer: Mutex::new(writer),
            read_files: RwLock::new(HashMap::new()),
            compressors: Mutex::new(Vec::new()),
            _lock: lock,
        })
    }

    /// Where torn tails cut off on open are kept.
    pub fn quarantine_dir(&self) -> &Path {
        &self.quarantine
    }

    fn lock_writer(&self) -> Result<MutexGuard<'_, Writer>, StoreError> {
        let writer = match self.writer.lock() {
            Ok(writer) => writer,
            Err(poisoned) => {
                // A put panicked (in its caller's reader, say) while writing: cut off what it
                // left half-written, as a failed put would have.
                let mut writer = poisoned.into_inner();
                let clean = writer.clean_len;
                if writer.len != clean {
                    // On failure the writer is poisoned, which the check below reports.
                    let _ = self.cut_back(&mut writer, clean);
                }
                writer
            }
        };
        if let Some(why) = &writer.poisoned {
            return Err(eakte_segment::SegmentError::Poisoned(why.clone()).into());
        }
        if let Some(why) = self.sync.poisoned() {
            return Err(eakte_segment::SegmentError::Poisoned(why).into());
        }
        Ok(writer)
    }

    pub(crate) fn read_index(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write_index(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once everything written up to `target` is on stable storage.
    fn wait_durable(&self, target: Position) -> Result<(), StoreError> {
        self.sync
            .wait_durable(target, || {
                let tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
                (tail.0, Arc::clone(&tail.1))
            })
            .map_err(Into::into)
    }

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
        tail.0 = writer.position();
        if !Arc::ptr_eq(&tail.1, &writer.file) {
            tail.1 = Arc::clone(&writer.file);
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
    fn cut_back(&self, writer: &mut Writer, start: u64) -> Result<(), StoreError> {
        let position = Position {
            segment: writer.number,
            offset: start,
        };
        self.sync.retreat(position);
        match writer.file.set_len(start) {
            Ok(()) => {
                writer.len = start;
                writer.clean_len = start;
                self.set_tail(writer);
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
        let path = self.segments.segment(writer.number);
        // The sealed segment must be durable before the next one exists: group commit relies on
        // syncing only the newest segment.
        if let Err(e) = writer.file.sync_all() {
            let why = format!("fsync of {} failed: {e}", path.display());
            self.sync.poison(why.clone());
            return Err(eakte_segment::SegmentError::Poisoned(why).into());
        }
        self.sync.mark_durable(writer.position());
        let side = encode_side_file(writer.number, writer.len, &writer.summary);
        write_file_durably(&self.segments.file(writer.number, "idx"), &side)?;
        *writer = new_writer(&self.segments, writer.number + 1)?;
        self.set_tail(writer);
        info!(segment = writer.number, "started a new segment");
        Ok(())
    }

    fn put_single(&self, data: &[u8]) -> Result<PutOutcome, StoreError> {
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
    fn has_readable_copy(&self, id: &BlobId) -> Result<bool, StoreError> {
        if self.read_index().blobs.get(id).is_none_or(|l| l.damaged) {
            return Ok(false);
        }
        let checked = self.open_blob(id).and_then(|mut reader| {
            std::io::copy(&mut reader, &mut std::io::sink())
                .map_err(crate::reader::into_store_error)
        });
        match checked {
            Ok(_) => Ok(true),
            Err(StoreError::Corruption { detail, .. }) => {
                warn!(blob = %id, detail, "stored copy is corrupt; storing the bytes again");
                if let Some(locator) = self.write_index().blobs.get_mut(id) {
                    locator.damaged = true;
                }
                Ok(false)
            }
            Err(e) => Err(e),
        }
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
        writer.summary.blobs.push((id, locator));
        self.write_index().insert_fresh(id, locator);
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
    fn put_stream(
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
        let file = Arc::clone(&writer.file);
        let (flush_requests, flush_queue) = std::sync::mpsc::sync_channel::<()>(1);
        std::thread::scope(|scope| {
            let flusher = scope.spawn(move || -> std::io::Result<()> {
                for () in flush_queue {
                    file.sync_data()?;
                }
                Ok(())
            });
            let streamed =
                self.stream_pieces_flushing(writer, start, first, second, input, &flush_requests);
            drop(flush_requests);
            let flushed = flusher
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the flusher thread panicked")));
            if let Err(e) = flushed {
                // After a failed fsync the kernel may have dropped the dirty pages: nothing
                // written since the last good fsync can be trusted, so refuse further writes.
                let why = format!("fsync failed: {e}");
                self.sync.poison(why.clone());
                return Err(eakte_segment::SegmentError::Poisoned(why).into());
            }
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
        flush_requests: &std::sync::mpsc::SyncSender<()>,
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
                let _ = flush_requests.try_send(());
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

    fn read_file(&self, segment: u64) -> Result<Arc<File>, StoreError> {
        if let Some(file) = self
            .read_files
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&segment)
        {
            return Ok(Arc::clone(file));
        }
        let path = self.segments.segment(segment);
        let file = Arc::new(File::open(&path).map_err(io(&path))?);
        self.read_files
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(segment, Arc::clone(&file));
        Ok(file)
    }

    /// Where a blob is. A blob written by a put that is still waiting for its fsync is shown
    /// only once that fsync is done: nothing is visible that a crash could take away.
    fn locate(&self, id: &BlobId) -> Result<Locator, StoreError> {
        let locator = *self
            .read_index()
            .blobs
            .get(id)
            .ok_or(StoreError::NotFound(*id))?;
        self.wait_durable(Position {
            segment: locator.segment,
            offset: locator.end,
        })?;
        if locator.damaged {
            return Err(StoreError::corrupt(
                *id,
                format!(
                    "its record in segment {} at offset {} is damaged",
                    locator.segment, locator.commit_offset
                ),
            ));
        }
        Ok(locator)
    }

    /// Reads and checks a blob's commit record.
    fn read_commit(
        &self,
        id: &BlobId,
        locator: &Locator,
    ) -> Result<(Arc<File>, Commit), StoreError> {
        let file = self.read_file(locator.segment)?;
        let path = || self.segments.segment(locator.segment);
        let mut header = [0u8; FRAME_HEADER_LEN];
        file.read_exact_at(&mut header, locator.commit_offset)
            .map_err(|e| StoreError::io(path(), e))?;
        let corrupt = |what: &str| {
            StoreError::corrupt(
                *id,
                format!(
                    "{what} (segment {} offset {})",
                    locator.segment, locator.commit_offset
                ),
            )
        };
        let header = FrameHeader::decode(&header)
            .filter(|h| h.kind == KIND_COMMIT)
            .filter(|h| u64::from(h.len) == commit_payload_len(locator.len))
            .ok_or_else(|| corrupt("its commit record header is damaged"))?;
        let mut payload = vec![0u8; header.len as usize];
        file.read_exact_at(
            &mut payload,
            locator.commit_offset + FRAME_HEADER_LEN as u64,
        )
        .map_err(|e| StoreError::io(path(), e))?;
        if !header.payload_ok(&payload) {
            return Err(corrupt("its commit record fails its checksum"));
        }
        let commit = Commit::decode(&payload)
            .filter(|c| c.id == *id && c.len == locator.len)
            .ok_or_else(|| corrupt("its commit record names another blob"))?;
        if commit.piece_count > 1 && tree::root(&commit.cvs) != Some(*id) {
            return Err(corrupt("its piece table does not hash to the blob id"));
        }
        Ok((file, commit))
    }

    /// A reader of the blob's original bytes, verified piece by piece (see [`BlobReader`]).
    pub fn open_blob(&self, id: &BlobId) -> Result<BlobReader, StoreError> {
        let locator = self.locate(id)?;
        let (file, commit) = self.read_commit(id, &locator)?;
        Ok(BlobReader::new(file, commit, locator.segment))
    }

    /// The whole blob in memory, verified.
    pub fn get_bytes(&self, id: &BlobId) -> Result<Vec<u8>, StoreError> {
        let mut reader = self.open_blob(id)?;
        let mut out = Vec::new();
        reader
            .read_to_end(&mut out)
            .map_err(crate::reader::into_store_error)?;
        Ok(out)
    }

    /// Whether a durable blob with this id is stored and not known to be damaged.
    pub fn contains(&self, id: &BlobId) -> bool {
        self.locate(id).is_ok()
    }

    /// The segment files, their numbers, and the end of the active one, for verify.
    pub(crate) fn segment_extents(&self) -> Result<Vec<(u64, PathBuf, u64)>, StoreError> {
        let (active, active_len) = {
            let tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
            (tail.0.segment, tail.0.offset)
        };
        let mut out = Vec::new();
        for number in self.segments.list()? {
            let path = self.segments.segment(number);
            let len = if number == active {
                active_len
            } else {
                std::fs::metadata(&path).map_err(io(&path))?.len()
            };
            out.push((number, path, len));
        }
        Ok(out)
    }
}

impl BlobStore for FileStore {
    fn put(&self, input: &mut dyn Read) -> Result<PutOutcome, StoreError> {
        let mut first = Vec::new();
        if read_piece(input, &mut first)? < PIECE_LEN {
            return self.put_single(&first);
        }
        let mut second = Vec::new();
        if read_piece(input, &mut second)? == 0 {
            return self.put_single(&first);
        }
        self.put_stream(first, second, input)
    }

    fn get(&self, id: &BlobId) -> Result<Box<dyn Read + Send + '_>, StoreError> {
        Ok(Box::new(self.open_blob(id)?))
    }

    fn meta(&self, id: &BlobId) -> Result<BlobMeta, StoreError> {
        let locator = self.locate(id)?;
        let (_, commit) = self.read_commit(id, &locator)?;
        Ok(BlobMeta {
            id: *id,
            sha256: commit.sha256,
            len: commit.len,
            stored_len: locator.record_bytes,
        })
    }

    fn verify(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<VerifyReport, StoreError> {
        crate::verify::verify(self, progress)
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        let mut stats = StoreStats::default();
        {
            let index = self.read_index();
            // Saturating: the counts come from files on disk, which could be anything.
            for locator in index.blobs.values() {
                stats.blobs += 1;
                stats.logical_bytes = stats.logical_bytes.saturating_add(locator.len);
                stats.record_bytes = stats.record_bytes.saturating_add(locator.record_bytes);
            }
            stats.puts = stats.blobs;
            stats.put_bytes = stats.logical_bytes;
            for (id, count) in &index.refs {
                let len = index.blobs.get(id).map_or(0, |l| l.len);
                stats.puts = stats.puts.saturating_add(*count);
                stats.put_bytes = stats.put_bytes.saturating_add(count.saturating_mul(len));
            }
        }
        for (_, path, _) in self.segment_extents()? {
            stats.segments += 1;
            stats.stored_bytes += std::fs::metadata(&path).map_err(io(&path))?.len();
        }
        Ok(stats)
    }
}
