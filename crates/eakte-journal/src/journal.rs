//! The journal on disk: durable appends with group commit, recovery on open, checkpoints, proofs,
//! queries and reading entries back.
//!
//! Layout of the journal directory:
//!
//! ```text
//! LOCK                  held by the process that has the journal open
//! checkpoint.key        Ed25519 private key (mode 0600), created with the journal
//! checkpoint.pub        the public key, ed25519:<hex>
//! segments/00000001.jnl frames: kind 1 = entry (u32 LE entry length, entry, payload),
//!                       kind 2 = checkpoint (one JSON line)
//! quarantine/           unfinished frames cut off a torn tail, kept for inspection
//! ```

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use eakte_config::JournalConfig;
use eakte_segment::{
    FRAME_HEADER_LEN, FrameHeader, GroupSync, Position, SEGMENT_HEADER_LEN, ScanItem, Scanner,
    SegmentDir, SegmentHeader, create_dir_durably, create_segment, frame_header,
    keep_in_quarantine, lock_directory,
};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::Value;
use tracing::{info, warn};

use crate::JournalError;
use crate::checkpoint::{Checkpoint, create_key_pair, format_public_key, load_signing_key};
use crate::event::{
    ENTRY_VERSION, Entry, MAX_ENTRY_BYTES, MAX_PAYLOAD_BYTES, NewEvent, Payload, PayloadRef,
    check_action, check_names, format_time, parse_time,
};
use crate::merkle::{
    Blake3Hasher, Hash, Subtrees, TreeHasher, consistency_proof_in, inclusion_proof_in,
};
use crate::query::{Query, QueryIndex};
use crate::summary::{self, EntrySummary, SegmentSummary};
use crate::tree::{Frontier, Levels};

/// Names the journal's segments in their headers.
const JOURNAL_LOG: [u8; 4] = *b"JRNL";
/// The frame format version of journal segments.
const JOURNAL_FORMAT: u16 = 1;
/// Frame kind of an entry (with its payload).
pub(crate) const KIND_ENTRY: u8 = 1;
/// Frame kind of a checkpoint.
const KIND_CHECKPOINT: u8 = 2;
/// The chain link of entry 0.
const NO_PREVIOUS: Hash = [0u8; 32];

/// What an append returns once the entry is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The entry's sequence number (leaf index).
    pub seq: u64,
    /// The entry's leaf hash.
    pub leaf: Hash,
    /// The time the journal gave it.
    pub time: String,
}

/// What is known of an entry's personal-data payload.
#[derive(Debug, Clone, PartialEq)]
pub enum PayloadState {
    /// The entry has none.
    None,
    /// The payload, as stored.
    Present(Payload),
    /// The payload was erased; the entry's hash commitment remains.
    Erased,
}

impl PayloadState {
    /// The personal data as a JSON object, when present.
    pub fn data(&self) -> Option<Value> {
        match self {
            Self::Present(p) => Some(Value::Object(p.data.clone())),
            _ => None,
        }
    }
}

/// An entry read back, with its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The entry.
    pub entry: Entry,
    /// Its payload.
    pub payload: PayloadState,
}

/// Where an entry's frame lies.
#[derive(Debug, Clone, Copy)]
struct Location {
    segment: u64,
    offset: u64,
}

struct State {
    number: u64,
    file: Arc<File>,
    len: u64,
    files: BTreeMap<u64, Arc<File>>,
    tree: Levels<Blake3Hasher>,
    locations: Vec<Location>,
    last_time: DateTime<Utc>,
    index: QueryIndex,
    checkpoints: Vec<Checkpoint>,
    /// Set when a failed write could not be cut back: nothing more is appended.
    broken: Option<String>,
}

impl State {
    fn position(&self) -> Position {
        Position {
            segment: self.number,
            offset: self.len,
        }
    }
}

struct Inner {
    segments: SegmentDir,
    key: SigningKey,
    origin: String,
    segment_max_bytes: u64,
    every_entries: u64,
    state: Mutex<State>,
    tail: Mutex<(Position, Arc<File>)>,
    sync: GroupSync,
    /// Entries `0..durable` are on stable storage.
    durable: AtomicU64,
    /// Serialises checkpoint making.
    checkpointing: Mutex<()>,
    _lock: File,
}

struct Ticker {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: JoinHandle<()>,
}

/// The journal: a tamper-evident, append-only record of every change and every access.
pub struct Journal {
    inner: Arc<Inner>,
    ticker: Option<Ticker>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update under these locks leaves consistent state before anything can panic, so a
    // poisoned lock is safe to use.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Truncates a time to the microseconds entries carry.
fn micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |e| JournalError::io(path, e)
}

impl Journal {
    /// Opens the journal in `dir`, creating it (and its checkpoint key pair) when it does not
    /// exist. Every segment is read and checked: the chain, every payload commitment and every
    /// stored checkpoint; an unfinished frame at the very end (a crash during an append) is moved
    /// to `quarantine/` and cut off; anything else that does not check out refuses the open.
    pub fn open(dir: &Path, config: &JournalConfig) -> Result<Self, JournalError> {
        create_dir_durably(dir)?;
        let Some(lock_file) = lock_directory(dir)? else {
            return Err(JournalError::Locked(dir.to_owned()));
        };
        let segments = SegmentDir::open(dir.join("segments"), "jnl")?;
        let numbers = segments.list()?;
        let secret = dir.join("checkpoint.key");
        let key = if secret.exists() {
            load_signing_key(&secret)?
        } else if numbers.is_empty() {
            create_key_pair(&secret, &dir.join("checkpoint.pub"))?
        } else {
            return Err(JournalError::Key(format!(
                "{} is missing but the journal has entries; restore the key from backup",
                secret.display()
            )));
        };
        let origin = load_origin(dir, config, &key)?;
        let mut loader = Loader {
            key: key.verifying_key(),
            tree: Levels::new(Blake3Hasher),
            locations: Vec::new(),
            last_time: DateTime::<Utc>::UNIX_EPOCH,
            index: QueryIndex::default(),
            checkpoints: Vec::new(),
            origin: origin.clone(),
            summary: None,
        };
        let mut files = BTreeMap::new();
        let newest = numbers.last().copied();
        for &number in &numbers {
            let file = loader.load_segment(&segments, dir, number, Some(number) == newest)?;
            if let Some(file) = file {
                files.insert(number, Arc::new(file));
            }
        }
        // The newest segment is the active one; when its creation was interrupted it was removed
        // above and is made afresh (every earlier segment is sealed and open read-only).
        let (number, file, len) = match files.last_key_value().filter(|(n, _)| Some(**n) == newest)
        {
            Some((&number, file)) => {
                let len = file
                    .metadata()
                    .map_err(io(&segments.segment(number)))?
                    .len();
                (number, Arc::clone(file), len)
            }
            None => {
                let number = newest.unwrap_or(1);
                let file = new_segment(&segments, number)?;
                files.insert(number, Arc::clone(&file));
                (number, file, SEGMENT_HEADER_LEN)
            }
        };
        let size = loader.tree.len();
        info!(entries = size, segment = number, "journal opened");
        let position = Position {
            segment: number,
            offset: len,
        };
        let inner = Arc::new(Inner {
            segments,
            key,
            origin,
            segment_max_bytes: config.segment_max_bytes,
            every_entries: config.checkpoint_every_entries,
            state: Mutex::new(State {
                number,
                file: Arc::clone(&file),
                len,
                files,
                tree: loader.tree,
                locations: loader.locations,
                last_time: loader.last_time,
                index: loader.index,
                checkpoints: loader.checkpoints,
                broken: None,
            }),
            tail: Mutex::new((position, file)),
            sync: GroupSync::new(position),
            durable: AtomicU64::new(size),
            checkpointing: Mutex::new(()),
            _lock: lock_file,
        });
        let ticker = spawn_ticker(
            Arc::clone(&inner),
            Duration::from_secs(config.checkpoint_every_seconds),
        );
        Ok(Self {
            inner,
            ticker: Some(ticker),
        })
    }

    /// Appends an event and returns once it is durable (group commit: concurrent appends share
    /// one fsync). A refused event (bad action, too large) writes nothing.
    pub fn append(&self, event: NewEvent) -> Result<Receipt, JournalError> {
        self.inner.append(event)
    }

    /// Signs and stores a checkpoint of everything appended so far (made durable first); when
    /// nothing was appended since the latest checkpoint, returns that one.
    pub fn checkpoint(&self) -> Result<Checkpoint, JournalError> {
        self.inner.checkpoint()
    }

    /// Whether appends can be taken now: `Err` with the reason after damage was found or an
    /// fsync failed (then nothing more is written until the journal is opened again).
    pub fn writable(&self) -> Result<(), JournalError> {
        if let Some(why) = &lock(&self.inner.state).broken {
            return Err(JournalError::Damaged(why.clone()));
        }
        if self.inner.sync.is_poisoned() {
            let why = self.inner.sync.poisoned().unwrap_or_default();
            return Err(eakte_segment::SegmentError::Poisoned(why).into());
        }
        Ok(())
    }

    /// The number of durable entries.
    pub fn size(&self) -> u64 {
        self.inner.durable.load(Ordering::Acquire)
    }

    /// The root of the tree of the first `size` entries.
    pub fn root_at(&self, size: u64) -> Result<Hash, JournalError> {
        self.check_size(size)?;
        let state = lock(&self.inner.state);
        Ok(state.tree.root_at(size).expect("size checked"))
    }

    /// The leaf hash of entry `seq`.
    pub fn leaf(&self, seq: u64) -> Result<Hash, JournalError> {
        self.check_size(seq.saturating_add(1))?;
        Ok(*lock(&self.inner.state)
            .tree
            .leaf(seq)
            .expect("size checked"))
    }

    /// The frontier (right edge) of the tree of the first `size` entries.
    pub fn frontier(&self, size: u64) -> Result<Frontier, JournalError> {
        self.check_size(size)?;
        Ok(Frontier::of(&lock(&self.inner.state).tree, size).expect("size checked"))
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, JournalError> {
        self.check_size(size)?;
        if index >= size {
            return Err(JournalError::Invalid(format!(
                "entry {index} is not in a tree of {size} entries"
            )));
        }
        Ok(inclusion_proof_in(&lock(&self.inner.state).tree, index, size).expect("checked"))
    }

    /// The consistency proof from the tree of `old_size` entries to the tree of `new_size`.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, JournalError> {
        self.check_size(new_size)?;
        if old_size > new_size {
            return Err(JournalError::Invalid(format!(
                "old size {old_size} is larger than new size {new_size}"
            )));
        }
        Ok(
            consistency_proof_in(&lock(&self.inner.state).tree, old_size, new_size)
                .expect("checked"),
        )
    }

    fn check_size(&self, size: u64) -> Result<(), JournalError> {
        let durable = self.size();
        if size > durable {
            return Err(JournalError::Invalid(format!(
                "the journal has {durable} entries, not {size}"
            )));
        }
        Ok(())
    }

    /// All checkpoints, oldest first.
    pub fn checkpoints(&self) -> Vec<Checkpoint> {
        lock(&self.inner.state).checkpoints.clone()
    }

    /// The checkpoint public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.inner.key.verifying_key()
    }

    /// The checkpoint public key as `ed25519:<hex>`.
    pub fn public_key_text(&self) -> String {
        format_public_key(&self.public_key())
    }

    /// The checkpoint signing key, for signing an export's manifest.
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.inner.key
    }

    /// The origin named in every checkpoint.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The sequence numbers of durable events matching `query`, ascending.
    pub fn query_seqs(&self, query: &Query) -> Vec<u64> {
        let size = self.size();
        lock(&self.inner.state).index.matching(query, size)
    }

    /// The durable events matching `query`, oldest first.
    pub fn query(&self, query: &Query) -> Result<Vec<StoredEvent>, JournalError> {
        self.query_seqs(query)
            .into_iter()
            .map(|seq| self.read(seq))
            .collect()
    }

    /// Reads entry `seq` and its payload back, checking them against the tree.
    pub fn read(&self, seq: u64) -> Result<StoredEvent, JournalError> {
        let (entry, payload) = self.read_raw(seq)?;
        let entry = Entry::parse(&entry).map_err(JournalError::Damaged)?;
        let payload = match (&entry.payload, payload) {
            (None, _) => PayloadState::None,
            (Some(_), None) => PayloadState::Erased,
            (Some(_), Some(bytes)) => PayloadState::Present(
                serde_json::from_slice(&bytes)
                    .map_err(|e| JournalError::Damaged(format!("payload of entry {seq}: {e}")))?,
            ),
        };
        Ok(StoredEvent { entry, payload })
    }

    /// Entry `seq`'s bytes (the leaf) and its payload's bytes (`None` when it has none or it was
    /// erased), checked against the leaf hash and the payload commitment.
    pub fn read_raw(&self, seq: u64) -> Result<(Vec<u8>, Option<Vec<u8>>), JournalError> {
        self.check_size(seq.saturating_add(1))?;
        let (location, file, leaf) = {
            let state = lock(&self.inner.state);
            let location = state.locations[seq as usize];
            let file = Arc::clone(&state.files[&location.segment]);
            (location, file, *state.tree.leaf(seq).expect("size checked"))
        };
        let path = self.inner.segments.segment(location.segment);
        let mut header = [0u8; FRAME_HEADER_LEN];
        file.read_exact_at(&mut header, location.offset)
            .map_err(io(&path))?;
        let damaged = || {
            JournalError::Damaged(format!(
                "entry {seq} at {}:{} no longer reads back intact",
                path.display(),
                location.offset
            ))
        };
        let header = FrameHeader::decode(&header).ok_or_else(damaged)?;
        let mut payload = vec![0u8; header.len as usize];
        file.read_exact_at(&mut payload, location.offset + FRAME_HEADER_LEN as u64)
            .map_err(io(&path))?;
        if !header.payload_ok(&payload) || header.kind != KIND_ENTRY {
            return Err(damaged());
        }
        let (entry, personal) = split_record(&payload).ok_or_else(damaged)?;
        if Blake3Hasher.hash_leaf(entry) != leaf {
            return Err(damaged());
        }
        let personal = (!personal.is_empty()).then(|| personal.to_vec());
        Ok((entry.to_vec(), personal))
    }

    /// Makes a final checkpoint when entries are not yet covered by one, and closes the journal.
    pub fn close(mut self) -> Result<(), JournalError> {
        self.stop_ticker();
        if self.inner.uncovered() > 0 {
            self.inner.checkpoint()?;
        }
        Ok(())
    }

    fn stop_ticker(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            *lock(&ticker.stop.0) = true;
            ticker.stop.1.notify_all();
            let _ = ticker.thread.join();
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.stop_ticker();
        if self.inner.uncovered() > 0
            && let Err(e) = self.inner.checkpoint()
        {
            warn!(error = %e, "no final checkpoint on closing the journal");
        }
    }
}

fn spawn_ticker(inner: Arc<Inner>, every: Duration) -> Ticker {
    let stop = Arc::new((Mutex::new(false), Condvar::new()));
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("journal-checkpoints".into())
        .spawn(move || {
            let (flag, wake) = &*thread_stop;
            let mut stopped = lock(flag);
            loop {
                if *stopped {
                    return;
                }
                let (guard, timeout) = wake
                    .wait_timeout(stopped, every)
                    .unwrap_or_else(|e| e.into_inner());
                stopped = guard;
                if *stopped || !timeout.timed_out() {
                    // Stopped, or woken spuriously: look at the flag again.
                    continue;
                }
                drop(stopped);
                if inner.uncovered() > 0
                    && let Err(e) = inner.checkpoint()
                {
                    warn!(error = %e, "periodic checkpoint failed");
                }
                stopped = lock(flag);
            }
        })
        .expect("spawning the checkpoint thread");
    Ticker { stop, thread }
}

/// Splits an entry frame's payload into the entry bytes and the personal-data payload bytes.
pub(crate) fn split_record(record: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_le_bytes(record.get(..4)?.try_into().ok()?) as usize;
    let rest = &record[4..];
    (len <= rest.len()).then(|| rest.split_at(len))
}

fn new_segment(segments: &SegmentDir, number: u64) -> Result<Arc<File>, JournalError> {
    let header = SegmentHeader {
        log: JOURNAL_LOG,
        version: JOURNAL_FORMAT,
        number,
    };
    Ok(Arc::new(create_segment(segments, header)?.0))
}

impl Inner {
    fn uncovered(&self) -> u64 {
        let covered = lock(&self.state).checkpoints.last().map_or(0, |c| c.size);
        self.durable.load(Ordering::Acquire).saturating_sub(covered)
    }

    fn wait_durable(&self, target: Position) -> Result<(), JournalError> {
        Ok(self.sync.wait_durable(target, || {
            let tail = lock(&self.tail);
            (tail.0, Arc::clone(&tail.1))
        })?)
    }

    fn append(&self, event: NewEvent) -> Result<Receipt, JournalError> {
        check_event(&event)?;
        let payload = match &event.personal {
            Some(data) => {
                let mut salt = [0u8; 16];
                rand::fill(&mut salt);
                let bytes = serde_json::to_vec(&Payload {
                    salt: hex::encode(salt),
                    data: data.clone(),
                })
                .map_err(|e| JournalError::Invalid(e.to_string()))?;
                if bytes.len() > MAX_PAYLOAD_BYTES {
                    return Err(JournalError::Invalid(format!(
                        "personal data of {} bytes is over the limit of {MAX_PAYLOAD_BYTES}",
                        bytes.len()
                    )));
                }
                bytes
            }
            None => Vec::new(),
        };
        let payload_ref = event.personal.as_ref().map(|_| PayloadRef {
            blake3: blake3::hash(&payload).to_hex().to_string(),
            len: payload.len() as u64,
        });

        let mut state = lock(&self.state);
        if let Some(why) = &state.broken {
            return Err(JournalError::Damaged(why.clone()));
        }
        // After a failed fsync nothing more is written: it could outlive its refusal.
        if self.sync.is_poisoned() {
            let why = self.sync.poisoned().unwrap_or_default();
            return Err(eakte_segment::SegmentError::Poisoned(why).into());
        }
        let seq = state.tree.len();
        let time = micros(Utc::now()).max(state.last_time);
        let prev = seq
            .checked_sub(1)
            .and_then(|p| state.tree.leaf(p).copied())
            .unwrap_or(NO_PREVIOUS);
        let entry = Entry {
            v: ENTRY_VERSION,
            seq,
            time: format_time(time),
            prev: hex::encode(prev),
            actor: event.actor,
            action: event.action,
            objects: event.objects,
            outcome: event.outcome,
            details: event.details,
            payload: payload_ref,
        };
        let entry_bytes =
            serde_json::to_vec(&entry).map_err(|e| JournalError::Invalid(e.to_string()))?;
        if entry_bytes.len() > MAX_ENTRY_BYTES {
            return Err(JournalError::Invalid(format!(
                "the entry would be {} bytes, over the limit of {MAX_ENTRY_BYTES}",
                entry_bytes.len()
            )));
        }
        let len_prefix = (entry_bytes.len() as u32).to_le_bytes();
        let parts: [&[u8]; 3] = [&len_prefix, &entry_bytes, &payload];
        let offset = self.write_frame(&mut state, KIND_ENTRY, &parts)?;
        let leaf = Blake3Hasher.hash_leaf(&entry_bytes);
        state.tree.push(leaf);
        let segment = state.number;
        state.locations.push(Location { segment, offset });
        state.last_time = time;
        state.index.add(
            seq,
            &entry.actor.user,
            &entry.action,
            entry.objects.iter().map(|o| o.id.as_str()),
            time.timestamp_micros(),
        );
        let target = state.position();
        let covered = state.checkpoints.last().map_or(0, |c| c.size);
        drop(state);

        self.wait_durable(target)?;
        self.durable.fetch_max(seq + 1, Ordering::AcqRel);
        if seq + 1 - covered >= self.every_entries
            && let Ok(_one) = self.checkpointing.try_lock()
        {
            // Another appender may have made it meanwhile; checkpoint_locked re-checks.
            if let Err(e) = self.checkpoint_locked() {
                warn!(error = %e, "checkpoint after {} entries failed", self.every_entries);
            }
        }
        Ok(Receipt {
            seq,
            leaf,
            time: entry.time,
        })
    }

    /// Writes one frame at the end of the active segment (rolling over to a new segment first
    /// when it is full) and returns its offset. On a failed write the segment is cut back to
    /// where it was.
    fn write_frame(
        &self,
        state: &mut State,
        kind: u8,
        parts: &[&[u8]],
    ) -> Result<u64, JournalError> {
        let header = frame_header(kind, 0, parts);
        let frame_len = FRAME_HEADER_LEN as u64 + parts.iter().map(|p| p.len() as u64).sum::<u64>();
        if state.len > SEGMENT_HEADER_LEN && state.len + frame_len > self.segment_max_bytes {
            self.roll(state)?;
        }
        let mut frame = Vec::with_capacity(frame_len as usize);
        frame.extend_from_slice(&header);
        parts.iter().for_each(|p| frame.extend_from_slice(p));
        let offset = state.len;
        if let Err(e) = state.file.write_all_at(&frame, offset) {
            let path = self.segments.segment(state.number);
            if let Err(cut) = state.file.set_len(offset) {
                state.broken = Some(format!(
                    "a failed write to {} could not be cut back: {cut}",
                    path.display()
                ));
            }
            return Err(JournalError::io(path, e));
        }
        state.len += frame_len;
        *lock(&self.tail) = (state.position(), Arc::clone(&state.file));
        Ok(offset)
    }

    /// Seals the active segment (after making it durable in full) and starts the next.
    fn roll(&self, state: &mut State) -> Result<(), JournalError> {
        self.wait_durable(state.position())?;
        let number = state.number + 1;
        let file = new_segment(&self.segments, number)?;
        state.files.insert(number, Arc::clone(&file));
        state.number = number;
        state.file = file;
        state.len = SEGMENT_HEADER_LEN;
        *lock(&self.tail) = (state.position(), Arc::clone(&state.file));
        Ok(())
    }

    fn checkpoint(&self) -> Result<Checkpoint, JournalError> {
        let _one = lock(&self.checkpointing);
        self.checkpoint_locked()
    }

    /// Makes a checkpoint; the caller holds `checkpointing`.
    fn checkpoint_locked(&self) -> Result<Checkpoint, JournalError> {
        // Entries are written under the state lock before they join the tree, so everything up
        // to `target` includes the first `size` entries.
        let (target, size) = {
            let state = lock(&self.state);
            (state.position(), state.tree.len())
        };
        self.wait_durable(target)?;
        self.durable.fetch_max(size, Ordering::AcqRel);
        let size = self.durable.load(Ordering::Acquire);
        let mut state = lock(&self.state);
        if let Some(latest) = state.checkpoints.last()
            && latest.size == size
        {
            return Ok(latest.clone());
        }
        if let Some(why) = &state.broken {
            return Err(JournalError::Damaged(why.clone()));
        }
        let root = state
            .tree
            .root_at(size)
            .expect("durable entries are in the tree");
        let mut time = micros(Utc::now()).max(state.last_time);
        if let Some(latest) = state.checkpoints.last()
            && let Ok(latest) = parse_time(&latest.time)
        {
            time = time.max(latest);
        }
        let checkpoint = Checkpoint::sign(&self.key, &self.origin, size, &root, &format_time(time));
        let line = checkpoint.to_line();
        self.write_frame(&mut state, KIND_CHECKPOINT, &[line.as_bytes()])?;
        let target = state.position();
        drop(state);
        self.wait_durable(target)?;
        lock(&self.state).checkpoints.push(checkpoint.clone());
        Ok(checkpoint)
    }
}

fn check_event(event: &NewEvent) -> Result<(), JournalError> {
    check_action(&event.action)?;
    check_names(
        &event.actor.user,
        &event.actor.role,
        event
            .objects
            .iter()
            .map(|o| (o.kind.as_str(), o.id.as_str())),
    )
    .map_err(JournalError::Invalid)
}

/// Rebuilds the in-memory state from the segments while opening.
struct Loader {
    key: VerifyingKey,
    tree: Levels<Blake3Hasher>,
    locations: Vec<Location>,
    last_time: DateTime<Utc>,
    index: QueryIndex,
    checkpoints: Vec<Checkpoint>,
    origin: String,
    /// The summary of the sealed segment being scanned, to be written beside it.
    summary: Option<SegmentSummary>,
}

impl Loader {
    /// Reads one segment. Returns its file, or `None` when it was the newest and held not even a
    /// complete header (a crash while it was created); such a file is moved to quarantine.
    fn load_segment(
        &mut self,
        segments: &SegmentDir,
        dir: &Path,
        number: u64,
        newest: bool,
    ) -> Result<Option<File>, JournalError> {
        let path = segments.segment(number);
        let file = OpenOptions::new()
            .read(true)
            .write(newest)
            .open(&path)
            .map_err(io(&path))?;
        let len = file.metadata().map_err(io(&path))?.len();
        let quarantine = dir.join("quarantine");
        if len < SEGMENT_HEADER_LEN {
            if !newest {
                return Err(damaged(&path, 0, "the segment is shorter than its header"));
            }
            warn!(
                segment = number,
                "removing a segment whose creation was interrupted"
            );
            keep_in_quarantine(&quarantine, &path, &file, 0, len)?;
            std::fs::remove_file(&path).map_err(io(&path))?;
            eakte_segment::fsync_dir(segments.path())?;
            return Ok(None);
        }
        let mut header = [0u8; SEGMENT_HEADER_LEN as usize];
        file.read_exact_at(&mut header, 0).map_err(io(&path))?;
        match SegmentHeader::decode(&header) {
            Some(h) if h.version > JOURNAL_FORMAT => {
                return Err(JournalError::Format {
                    path,
                    found: h.version,
                    supported: JOURNAL_FORMAT,
                });
            }
            Some(h) if h.log == JOURNAL_LOG && h.number == number => {}
            _ => return Err(damaged(&path, 0, "the segment header does not check out")),
        }
        let summary_path = segments.file(number, "jdx");
        if !newest {
            if let Ok(bytes) = std::fs::read(&summary_path)
                && let Some(summary) = summary::decode(&bytes, number, len)
                && summary.first == self.tree.len()
            {
                if summary_matches(&file, len, &summary).map_err(io(&path))? {
                    self.apply(&summary)
                        .map_err(|why| damaged(&summary_path, 0, &why))?;
                    return Ok(Some(file));
                }
                warn!(
                    segment = number,
                    "the segment summary does not match its segment"
                );
            }
            info!(segment = number, "reading a sealed journal segment in full");
            self.summary = Some(SegmentSummary {
                number,
                len,
                first: self.tree.len(),
                ..SegmentSummary::default()
            });
        }
        let mut torn = None;
        // A last frame of full length whose checksum fails is what a power loss can leave of an
        // append that was never acknowledged: cut like a torn tail, but only if nothing follows.
        let mut bad_last = None;
        for item in Scanner::new(&file, SEGMENT_HEADER_LEN, len) {
            if let Some(offset) = bad_last {
                return Err(damaged(&path, offset, "a frame's checksum fails"));
            }
            match item.map_err(io(&path))? {
                ScanItem::Frame {
                    offset,
                    header,
                    payload,
                    payload_ok: true,
                } => self
                    .frame(number, offset, header.kind, &payload)
                    .map_err(|why| damaged(&path, offset, &why))?,
                ScanItem::Frame { offset, .. } if newest => bad_last = Some(offset),
                ScanItem::Frame { offset, .. } => {
                    return Err(damaged(&path, offset, "a frame's checksum fails"));
                }
                ScanItem::Damaged { offset, .. } => {
                    return Err(damaged(&path, offset, "bytes that are no frame"));
                }
                ScanItem::Torn { offset } if newest => torn = Some(offset),
                ScanItem::Torn { offset } => {
                    return Err(damaged(
                        &path,
                        offset,
                        "a sealed segment ends in a torn frame",
                    ));
                }
            }
        }
        if let Some(offset) = torn.or(bad_last) {
            warn!(
                segment = number,
                offset,
                bytes = len - offset,
                "cutting off an unfinished journal frame"
            );
            keep_in_quarantine(&quarantine, &path, &file, offset, len)?;
            file.set_len(offset).map_err(io(&path))?;
        }
        if newest {
            // What a killed process wrote may still be only in the page cache.
            file.sync_all().map_err(io(&path))?;
        }
        if let Some(summary) = self.summary.take() {
            // A summary that cannot be written costs only time on the next open.
            if let Err(e) =
                eakte_segment::write_file_durably(&summary_path, &summary::encode(&summary))
            {
                warn!(segment = number, error = %e, "cannot write the segment summary");
            }
        }
        Ok(Some(file))
    }

    /// Takes a sealed segment's entries and checkpoints from its summary (written after a full
    /// check of the segment); the checkpoints are checked again, they are few.
    fn apply(&mut self, summary: &SegmentSummary) -> Result<(), String> {
        let mut last = self.last_time.timestamp_micros();
        if summary.entries.iter().any(|e| {
            let back = e.time < last;
            last = e.time;
            back
        }) {
            return Err("entry times go back".into());
        }
        if summary
            .entries
            .iter()
            .any(|e| DateTime::from_timestamp_micros(e.time).is_none())
        {
            return Err("an entry time is out of range".into());
        }
        for e in &summary.entries {
            self.push_entry(summary.number, e);
        }
        for line in &summary.checkpoints {
            self.checkpoint(line)?;
        }
        Ok(())
    }

    fn frame(&mut self, segment: u64, offset: u64, kind: u8, record: &[u8]) -> Result<(), String> {
        match kind {
            KIND_ENTRY => {
                let (bytes, payload) = split_record(record).ok_or("an entry frame is too short")?;
                let entry = Entry::parse(bytes)?;
                let seq = self.tree.len();
                if entry.seq != seq {
                    return Err(format!("entry {} where entry {seq} belongs", entry.seq));
                }
                let prev = seq
                    .checked_sub(1)
                    .and_then(|p| self.tree.leaf(p).copied())
                    .unwrap_or(NO_PREVIOUS);
                if entry.prev != hex::encode(prev) {
                    return Err(format!(
                        "entry {seq} does not link to entry {}",
                        seq.wrapping_sub(1)
                    ));
                }
                let time = entry.timestamp();
                if time < self.last_time {
                    return Err(format!("entry {seq} is older than the one before"));
                }
                match &entry.payload {
                    None if !payload.is_empty() => {
                        return Err(format!("entry {seq} has a payload it does not commit to"));
                    }
                    // An empty payload where one is committed to was erased (disposition).
                    Some(commit)
                        if !payload.is_empty()
                            && (commit.len != payload.len() as u64
                                || blake3::hash(payload).to_hex().as_str() != commit.blake3) =>
                    {
                        return Err(format!("entry {seq}'s payload does not match its hash"));
                    }
                    _ => {}
                }
                let summary = EntrySummary {
                    offset,
                    leaf: Blake3Hasher.hash_leaf(bytes),
                    time: time.timestamp_micros(),
                    actor: entry.actor.user,
                    action: entry.action,
                    objects: entry.objects.into_iter().map(|o| o.id).collect(),
                };
                self.push_entry(segment, &summary);
                if let Some(building) = &mut self.summary {
                    building.entries.push(summary);
                }
            }
            KIND_CHECKPOINT => {
                self.checkpoint(record)?;
                if let Some(summary) = &mut self.summary {
                    summary.checkpoints.push(record.to_vec());
                }
            }
            other => return Err(format!("unknown frame kind {other}")),
        }
        Ok(())
    }

    /// Takes a checked entry into the tree, the locations and the query index.
    fn push_entry(&mut self, segment: u64, e: &EntrySummary) {
        let seq = self.tree.len();
        self.tree.push(e.leaf);
        self.locations.push(Location {
            segment,
            offset: e.offset,
        });
        self.index.add(
            seq,
            &e.actor,
            &e.action,
            e.objects.iter().map(String::as_str),
            e.time,
        );
        self.last_time = DateTime::from_timestamp_micros(e.time).unwrap_or(self.last_time);
    }

    /// Checks a stored checkpoint against the key, the origin and the entries so far.
    fn checkpoint(&mut self, line: &[u8]) -> Result<(), String> {
        let checkpoint: Checkpoint =
            serde_json::from_slice(line).map_err(|e| format!("checkpoint: {e}"))?;
        let root = checkpoint
            .verify(&self.key)
            .map_err(|e| format!("checkpoint of size {}: {e}", checkpoint.size))?;
        if checkpoint.origin != self.origin {
            return Err(format!(
                "checkpoint names origin {:?}, the journal is {:?}",
                checkpoint.origin, self.origin
            ));
        }
        if self.tree.root_at(checkpoint.size) != Some(root) {
            return Err(format!(
                "checkpoint of size {} does not match the entries",
                checkpoint.size
            ));
        }
        if let Some(last) = self.checkpoints.last()
            && last.size > checkpoint.size
        {
            return Err("a checkpoint is smaller than the one before".into());
        }
        self.checkpoints.push(checkpoint);
        Ok(())
    }
}

/// Whether a sealed segment holds exactly what its summary says: every frame checks out, and the
/// entries' offsets and leaf hashes and the checkpoint lines are those of the summary. This reads
/// the whole segment and hashes every entry, but parses none.
fn summary_matches(file: &File, len: u64, summary: &SegmentSummary) -> std::io::Result<bool> {
    let (mut entries, mut checkpoints) = (summary.entries.iter(), summary.checkpoints.iter());
    for item in Scanner::new(file, SEGMENT_HEADER_LEN, len) {
        let ScanItem::Frame {
            offset,
            header,
            payload,
            payload_ok: true,
        } = item?
        else {
            return Ok(false);
        };
        let matches = match header.kind {
            KIND_ENTRY => split_record(&payload).is_some_and(|(entry, _)| {
                entries
                    .next()
                    .is_some_and(|e| e.offset == offset && e.leaf == Blake3Hasher.hash_leaf(entry))
            }),
            KIND_CHECKPOINT => checkpoints.next().is_some_and(|line| *line == payload),
            _ => false,
        };
        if !matches {
            return Ok(false);
        }
    }
    Ok(entries.next().is_none() && checkpoints.next().is_none())
}

/// The origin is fixed when the journal is created (from the configuration, or derived from the
/// public key) and kept in the file `origin`; a configuration naming another one is refused.
fn load_origin(
    dir: &Path,
    config: &JournalConfig,
    key: &SigningKey,
) -> Result<String, JournalError> {
    let path = dir.join("origin");
    let origin = match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let origin = if config.origin.is_empty() {
                format!(
                    "eakte/{}",
                    &hex::encode(key.verifying_key().as_bytes())[..16]
                )
            } else {
                config.origin.clone()
            };
            eakte_segment::write_file_durably(&path, format!("{origin}\n").as_bytes())?;
            origin
        }
        Err(e) => return Err(JournalError::io(&path, e)),
    };
    if !config.origin.is_empty() && config.origin != origin {
        return Err(JournalError::Invalid(format!(
            "journal.origin is {:?} in the configuration, but this journal's origin is {origin:?}",
            config.origin
        )));
    }
    Ok(origin)
}

fn damaged(path: &Path, offset: u64, why: &str) -> JournalError {
    JournalError::Damaged(format!("{} at offset {offset}: {why}", path.display()))
}

/// The path of the journal inside a data directory.
pub fn journal_dir(data: &Path) -> PathBuf {
    data.join("journal")
}
