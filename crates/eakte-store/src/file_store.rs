//! `FileStore`: the blob store on local segment files: open and recovery, put with group commit,
//! reads, stats.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use eakte_config::StoreConfig;
use eakte_segment::{
    FRAME_HEADER_LEN, FrameHeader, GroupSync, Position, SegmentDir, create_dir_durably,
    lock_directory,
};
use eakte_types::BlobId;
use tracing::info;

use crate::api::{BlobMeta, BlobStore, PutOutcome, StoreStats, VerifyReport};
use crate::index::{Locator, SegmentSummary};
use crate::reader::BlobReader;
use crate::record::{Commit, KIND_COMMIT, PIECE_LEN, commit_payload_len};
use crate::recovery::{load_sealed, new_writer, recover_active};
use crate::{StoreError, tree};

mod put;

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

/// The end of the active segment as the group-commit leader and verify see it.
struct Tail {
    /// Everything written, complete records or not.
    end: Position,
    /// The end of the last complete record.
    clean: u64,
    file: Arc<File>,
}

/// The content-addressed blob store on local segment files. See the crate documentation.
pub struct FileStore {
    segments: SegmentDir,
    config: StoreConfig,
    index: RwLock<Index>,
    writer: Mutex<Writer>,
    /// The end of what has been written and the file it is in, kept apart from the writer lock
    /// so that a put streaming a slow input does not hold up the fsync others wait for.
    tail: Mutex<Tail>,
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
        let Some(lock) = lock_directory(dir)? else {
            return Err(StoreError::Locked {
                path: dir.to_owned(),
            });
        };
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
            tail: Mutex::new(Tail {
                end: writer.position(),
                clean: writer.clean_len,
                file: Arc::clone(&writer.file),
            }),
            segments,
            config: config.clone(),
            index: RwLock::new(index),
            writer: Mutex::new(writer),
            read_files: RwLock::new(HashMap::new()),
            compressors: Mutex::new(Vec::new()),
            _lock: lock,
        })
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
                (tail.end, Arc::clone(&tail.file))
            })
            .map_err(Into::into)
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
            // Only complete records: a streamed put may be half-way through its pieces.
            let tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
            (tail.end.segment, tail.clean)
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
