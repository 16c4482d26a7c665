//! The service: opens the sources of truth (journal, store) and the views (catalog, index),
//! brings the views up to date with the journal, and holds the extraction queue.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use eakte_catalog::{Akte, Catalog, Change, Dokument};
use eakte_config::Config;
use eakte_extract::Extraction;
use eakte_extract::pool::{WorkerCommand, WorkerPool};
use eakte_index::SearchIndex;
use eakte_journal::{Actor, Journal, journal_dir};
use eakte_retention::RuleSet;
use eakte_store::FileStore;
use eakte_types::{AkteId, BlobId, DokumentId};
use tracing::{info, warn};

use crate::extraction::Queue;
use crate::indexing;
use crate::journaled::{change_of, event_of};
use crate::tokens::Tokens;
use crate::{AkteKey, ServiceError};

/// The file beside the index that names the first journal entry whose effects the index may
/// lack: written after a complete commit of the index at close, removed while the service runs.
const INDEX_MARK: &str = "index.seq";

/// The parts the use cases share; the extraction threads hold it too.
pub(crate) struct Parts {
    pub(crate) data: PathBuf,
    pub(crate) config: Config,
    pub(crate) journal: Journal,
    pub(crate) store: FileStore,
    pub(crate) catalog: Catalog,
    pub(crate) index: SearchIndex,
    /// Held from a change's checks through its journal append to its catalog apply, so that
    /// catalog changes enter the journal in the order they are applied.
    pub(crate) writing: Mutex<()>,
    /// Set when a journaled change could not be applied to the catalog: the catalog is behind
    /// the journal, so no further change is accepted until a restart replays it.
    pub(crate) out_of_step: AtomicBool,
    /// Set when an index update failed: the index may lack something, so the index mark is not
    /// written at close and the next open re-indexes.
    pub(crate) index_incomplete: AtomicBool,
    /// Pages read by OCR since the service was opened (for metrics).
    pub(crate) ocr_pages: AtomicU64,
    /// Locks that serialise the re-indexing of one document (by a stripe of its id).
    index_stripes: Vec<Mutex<()>>,
    /// The adopted rule set, parsed, by the blob it was read from.
    pub(crate) rules: Mutex<Option<(BlobId, Arc<RuleSet>)>>,
    /// Today's date as disposition sees it: the system clock's, unless a simulation set one.
    pub(crate) today: Mutex<Option<Today>>,
}

/// The office's time zone: German administration counts days, closing dates and year ends in
/// German time, not in UTC (an Akte closed at half past midnight on 1 January belongs to the new
/// year).
pub const OFFICE_TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::Berlin;

/// The office's calendar day of an instant.
pub fn office_date(instant: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    instant.with_timezone(&OFFICE_TIME_ZONE).date_naive()
}

/// Today in the office's time zone.
pub fn office_today() -> chrono::NaiveDate {
    office_date(chrono::Utc::now())
}

/// A source of today's date for simulations (see [`Service::set_today`]).
pub type Today = Arc<dyn Fn() -> chrono::NaiveDate + Send + Sync>;

/// Stripes of the re-indexing locks.
const INDEX_STRIPES: usize = 64;

impl Parts {
    /// (Re-)indexes a document after its change is durable. A failure does not undo or fail
    /// the change (the index is a view): it is logged, and the next open re-indexes.
    pub(crate) fn reindex(&self, id: DokumentId) {
        self.index_fresh_or_again(id, false);
    }

    /// As [`reindex`](Self::reindex); with `fresh` (a rebuild's new index) units are added
    /// without looking for an older copy.
    fn index_fresh_or_again(&self, id: DokumentId, fresh: bool) {
        if let Err(e) = indexing::index_document(self, id, fresh) {
            self.index_incomplete.store(true, Ordering::SeqCst);
            warn!(document = %id, error = %e, "cannot index a document; the next open re-indexes it");
        }
    }

    /// A document, or `NotFound`.
    pub(crate) fn dokument(&self, id: DokumentId) -> Result<Dokument, ServiceError> {
        self.catalog
            .dokument(id)?
            .ok_or_else(|| ServiceError::NotFound {
                what: format!("document {id}"),
            })
    }

    /// An Akte, or `NotFound` (for the service's own lookups; callers go through
    /// `Service::reachable_akte`).
    pub(crate) fn akte(&self, key: &AkteKey) -> Result<Akte, ServiceError> {
        let akte = match key {
            AkteKey::Id(id) => self.catalog.akte(*id)?,
            AkteKey::Aktenzeichen(az) => self.catalog.akte_by_aktenzeichen(az)?,
        };
        akte.ok_or_else(|| ServiceError::NotFound {
            what: format!("Akte {key}"),
        })
    }

    /// A stored extraction result (rendition), read and verified from the store.
    pub(crate) fn rendition(&self, blob: &BlobId) -> Result<Extraction, ServiceError> {
        let bytes = self.store.get_bytes(blob)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ServiceError::Corruption(format!("rendition {blob} does not decode: {e}")))
    }

    /// The lock under which one document is re-indexed.
    pub(crate) fn index_stripe(&self, id: DokumentId) -> MutexGuard<'_, ()> {
        let stripe = usize::from(id.as_uuid().as_bytes()[15]) % INDEX_STRIPES;
        self.index_stripes[stripe]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.writing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks a change, appends it to the journal (durable when this returns), then applies it
    /// to the catalog. The caller holds the write lock.
    pub(crate) fn commit_change(
        &self,
        _guard: &MutexGuard<'_, ()>,
        actor: &Actor,
        change: &Change,
    ) -> Result<u64, ServiceError> {
        if self.out_of_step.load(Ordering::SeqCst) {
            return Err(ServiceError::Internal(
                "the catalog is behind the journal after a failed update; restart eakte".into(),
            ));
        }
        // A refusal is the caller's; a catalog that cannot be read is the system's trouble.
        self.catalog
            .try_check(change)
            .map_err(ServiceError::Catalog)??;
        let receipt = self.journal.append(event_of(actor.clone(), change)?)?;
        // The change is durable now. If the catalog cannot take it, the catalog is behind the
        // journal: refuse every further change (a later one would skip this entry) until the
        // next open replays it.
        if let Err(e) = self.catalog.apply(receipt.seq, change) {
            self.out_of_step.store(true, Ordering::SeqCst);
            return Err(ServiceError::Catalog(e));
        }
        Ok(receipt.seq)
    }
}

/// How the service is opened.
#[derive(Debug, Clone)]
pub struct Options {
    /// How to start extraction workers (the `eakte` binary in worker mode).
    pub worker: WorkerCommand,
}

/// The eakte service over one data directory: every use case goes through it.
pub struct Service {
    pub(crate) parts: Arc<Parts>,
    pub(crate) tokens: Tokens,
    pub(crate) queue: Queue,
    resumed: usize,
}

impl Service {
    /// Today's date: what disposition is carried out on. Previews (`retention due --at`)
    /// evaluate another day, but nothing is ever proposed or destroyed on any day but this one.
    pub fn today(&self) -> chrono::NaiveDate {
        let clock = self
            .parts
            .today
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match clock {
            Some(today) => today(),
            None => office_today(),
        }
    }

    /// Replaces the system clock for this service: for simulations and tests of what happens
    /// over the years (the `eakte` binary never calls it).
    pub fn set_today(&self, today: Today) {
        *self
            .parts
            .today
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(today);
    }

    /// Opens the data directory (creating what is missing), replays journal entries the catalog
    /// has not applied yet, re-indexes what an unclean stop may have left out of the index, and
    /// queues the extraction of every version still waiting for it.
    pub fn open(data: &Path, config: Config, options: Options) -> Result<Self, ServiceError> {
        Self::open_with(data, config, options, false)
    }

    /// Opens the service; with `fresh_index`, the index folder is new and is filled in bulk
    /// (no timed commits, no merging, no search for older copies) until the catch-up is done.
    pub(crate) fn open_with(
        data: &Path,
        config: Config,
        options: Options,
        fresh_index: bool,
    ) -> Result<Self, ServiceError> {
        std::fs::create_dir_all(data)
            .map_err(|e| ServiceError::io(format!("cannot create {}", data.display()), e))?;
        // The journal first: nothing happens that cannot be journaled.
        let journal = Journal::open(&journal_dir(data), &config.journal)?;
        let store = FileStore::open(&data.join("store"), &config.store)?;
        let catalog = Catalog::open(&data.join("catalog"))?;
        let tokens = Tokens::open(data)?;
        let index = if fresh_index {
            SearchIndex::open_bulk(&data.join("index"), &config.index)?
        } else {
            SearchIndex::open(&data.join("index"), &config.index)?
        };
        let pool = WorkerPool::new(
            options.worker.clone(),
            config.extract.clone(),
            config.extract.workers,
        );
        let parts = Arc::new(Parts {
            data: data.to_owned(),
            config,
            journal,
            store,
            catalog,
            index,
            writing: Mutex::new(()),
            out_of_step: AtomicBool::new(false),
            index_incomplete: AtomicBool::new(false),
            ocr_pages: AtomicU64::new(0),
            index_stripes: (0..INDEX_STRIPES).map(|_| Mutex::new(())).collect(),
            rules: Mutex::new(None),
            today: Mutex::new(None),
        });
        let index_from = read_index_mark(data);
        // The mark is removed while the service runs, so that a crash leaves none behind and
        // the next open re-indexes from the catalog's state at this open.
        remove_index_mark(data)?;
        catch_up(&parts, index_from, fresh_index)?;
        if fresh_index {
            // The bulk load ends with one merged segment, which searches fastest.
            parts.index.force_merge()?;
        }
        let queue = Queue::start(Arc::clone(&parts), pool);
        let pending = parts.catalog.pending_extractions()?;
        let resumed = pending.len();
        if resumed > 0 {
            info!(resumed, "resuming pending extractions");
        }
        for (id, version) in pending {
            queue.push(id, version);
        }
        Ok(Self {
            tokens,
            parts,
            queue,
            resumed,
        })
    }

    /// The number of extractions that were pending when the service was opened and were queued
    /// again (a crash or stop after filing, before the text was indexed).
    pub fn resumed(&self) -> usize {
        self.resumed
    }

    /// Waits until every queued extraction is done and its text committed to the index.
    pub fn wait_idle(&self) -> Result<(), ServiceError> {
        self.queue.wait_idle();
        self.parts.index.commit()?;
        Ok(())
    }

    /// Extractions queued or running now.
    pub fn pending(&self) -> usize {
        self.queue.outstanding()
    }

    /// Whether the service can take changes: the journal takes appends and the catalog is in
    /// step with it; `Err` names what is wrong (a restart is needed).
    pub fn health(&self) -> Result<(), ServiceError> {
        self.parts.journal.writable()?;
        if self.parts.out_of_step.load(Ordering::SeqCst) {
            return Err(ServiceError::Internal(
                "the catalog is behind the journal after a failed update; restart eakte".into(),
            ));
        }
        Ok(())
    }

    /// Pages read by OCR since the service was opened.
    pub fn ocr_pages(&self) -> u64 {
        self.parts.ocr_pages.load(Ordering::Relaxed)
    }

    /// Finishes queued extractions, commits the index, flushes the catalog and closes the
    /// journal (with a checkpoint of what was added).
    pub fn close(self) -> Result<(), ServiceError> {
        let Self { parts, queue, .. } = self;
        queue.stop();
        let parts = Arc::try_unwrap(parts).map_err(|_| {
            ServiceError::Internal("the service is still in use while closing".into())
        })?;
        let complete = !parts.index_incomplete.load(Ordering::SeqCst)
            && !parts.out_of_step.load(Ordering::SeqCst);
        let Parts {
            data,
            journal,
            catalog,
            index,
            ..
        } = parts;
        index.close()?;
        catalog.flush()?;
        if complete {
            write_index_mark(&data, catalog.next_seq())?;
        }
        drop(catalog);
        journal.close()?;
        Ok(())
    }

    /// The journal (for audit use cases of the same process).
    pub fn journal(&self) -> &Journal {
        &self.parts.journal
    }

    /// The catalog, for reading records.
    pub fn catalog(&self) -> &Catalog {
        &self.parts.catalog
    }
}

/// Applies every journal entry the catalog has not seen, and re-indexes the documents that
/// entries from `index_from` on touched (the index may have lost them in an unclean stop);
/// `fresh` when the index is new and every unit can be added without looking for a copy.
fn catch_up(parts: &Parts, index_from: u64, fresh: bool) -> Result<(), ServiceError> {
    let size = parts.journal.size();
    let first = parts.catalog.next_seq().min(index_from);
    if first >= size {
        return Ok(());
    }
    info!(
        from = first,
        to = size,
        "bringing catalog and index up to the journal"
    );
    let mut touched_docs: Vec<DokumentId> = Vec::new();
    let mut touched_akten: Vec<AkteId> = Vec::new();
    for seq in first..size {
        match replay_entry(&parts.journal, &parts.store, &parts.catalog, seq)? {
            Some(Change::DokumentFiled { dokument }) => touched_docs.push(dokument.id),
            Some(Change::VersionAdded { id, .. } | Change::ExtractionRecorded { id, .. }) => {
                touched_docs.push(id)
            }
            Some(Change::AkteClosed { id, .. }) => touched_akten.push(id),
            // Re-indexing a destroyed document takes it out of the index.
            Some(Change::AkteDestroyed { tombstone }) => {
                touched_docs.extend(tombstone.documents.iter().map(|d| d.id));
            }
            _ => {}
        }
    }
    for akte in touched_akten {
        for dokument in parts.catalog.dokumente_in(Some(akte))? {
            touched_docs.push(dokument.id);
        }
    }
    touched_docs.sort();
    touched_docs.dedup();
    // One document that cannot be indexed (say, a damaged rendition) must not keep the records
    // from opening: it is logged, and the index mark stays unwritten so the next open tries again.
    for id in touched_docs {
        parts.index_fresh_or_again(id, fresh);
    }
    parts.index.commit()?;
    Ok(())
}

/// Replays journal entry `seq` into `catalog`: a catalog change is applied (nothing happens
/// when the catalog has it already), any other entry is recorded as seen. Returns the change.
pub(crate) fn replay_entry(
    journal: &Journal,
    store: &FileStore,
    catalog: &Catalog,
    seq: u64,
) -> Result<Option<Change>, ServiceError> {
    let change = change_of(&journal.read(seq)?, store)?;
    match &change {
        // A refusal here means journal and catalog disagree: the system's trouble, not a
        // caller's refusal.
        Some(change) => {
            catalog.apply(seq, change).map_err(ServiceError::Catalog)?;
        }
        None => catalog.skip(seq)?,
    }
    Ok(change)
}

fn read_index_mark(data: &Path) -> u64 {
    std::fs::read_to_string(data.join(INDEX_MARK))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

fn remove_index_mark(data: &Path) -> Result<(), ServiceError> {
    match std::fs::remove_file(data.join(INDEX_MARK)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ServiceError::io("cannot remove the index mark", e)),
    }
}

fn write_index_mark(data: &Path, seq: u64) -> Result<(), ServiceError> {
    eakte_segment::write_file_durably(&data.join(INDEX_MARK), format!("{seq}\n").as_bytes())
        .map_err(|e| ServiceError::Internal(format!("cannot write the index mark: {e}")))
}
