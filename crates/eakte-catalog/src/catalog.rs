//! The `Catalog`: a sled view of the records that journal changes are applied to, and its queries.

mod check;
mod dump;
mod store;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use eakte_types::{
    AkteId, Aktenzeichen, BatchId, BlobId, DokumentId, HoldId, PlanCode, Sha256Digest, VorgangId,
};
use serde::{Deserialize, Serialize};
use sled::Tree;
use tracing::debug;

use crate::change::Change;
use crate::disposition::{Batch, Hold, HoldScope, Tombstone};
use crate::error::{CatalogError, Refusal};
use crate::plan::FilePlan;
use crate::records::{Akte, Dokument, Extraction, Vorgang};
use store::{T, TREES};

/// The catalog format this build reads and writes.
const CATALOG_FORMAT: u64 = 1;

/// A plan as the catalog keeps it: the plan file's blob beside the parsed plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredPlan {
    blob: BlobId,
    plan: FilePlan,
}

/// The catalog: plan, Akten, Vorgänge and Dokumente in sled, with lookup indexes. A view of
/// the journal: everything in it comes from applied changes, so it can be rebuilt by replay.
pub struct Catalog {
    db: sled::Db,
    trees: Vec<Tree>,
    /// Serialises `apply` and `skip`, so that a change is checked against the state it is
    /// written onto.
    writer: Mutex<()>,
    /// The last journal seq applied or skipped; kept in memory because `next_seq` cannot fail.
    last_seq: RwLock<Option<u64>>,
    /// The current plan, so that checks need not decode it from sled each time.
    plan: RwLock<Option<Arc<FilePlan>>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("next_seq", &self.next_seq())
            .finish_non_exhaustive()
    }
}

/// How long opening waits for the lock a just-dropped handle of this process still holds.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Opens sled in `dir`. Dropping a `sled::Db` returns before its flusher thread has let go of
/// the directory's file lock, so an open right after a drop (a rebuild, a test re-opening its
/// catalog) can find the lock still taken; such an open is retried for up to [`LOCK_WAIT`].
/// Every other error, and a lock that stays taken (another process), is returned.
fn open_db(dir: &Path) -> Result<sled::Db, sled::Error> {
    open_with(&sled::Config::new().path(dir))
}

/// As [`open_db`], with a given configuration.
fn open_with(config: &sled::Config) -> Result<sled::Db, sled::Error> {
    let dir = config.path.clone();
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match config.open() {
            Err(sled::Error::Io(e)) if is_lock_taken(&e) && started.elapsed() < LOCK_WAIT => {
                debug!(dir = %dir.display(), "catalog lock still taken; waiting");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// Whether sled refused to open because the directory's lock is taken. sled reports it as an
/// I/O error of kind `Other` whose message starts with this text.
fn is_lock_taken(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock
        || e.to_string().starts_with("could not acquire lock")
}

/// What compacting the catalog did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactReport {
    /// Bytes of the catalog directory before.
    pub bytes_before: u64,
    /// Bytes of the new catalog directory: everything still in the catalog, written again.
    pub bytes_after: u64,
}

/// The sibling directories a compaction writes (`catalog.compact`) and retires
/// (`catalog.retired`).
fn sibling(dir: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn io_error(path: &Path, e: std::io::Error) -> CatalogError {
    CatalogError::Sled(sled::Error::Io(std::io::Error::new(
        e.kind(),
        format!("{}: {e}", path.display()),
    )))
}

/// Finishes or undoes a compaction a crash interrupted: a new catalog that was complete (its
/// marker written and synced) but not yet moved into place is moved; otherwise the old one is put
/// back. Leftovers are removed only once the catalog directory is in place.
fn settle_compaction(dir: &Path) -> Result<(), CatalogError> {
    let new = sibling(dir, ".compact");
    let retired = sibling(dir, ".retired");
    if !dir.exists() {
        if new.join(COMPACT_DONE).exists() {
            std::fs::rename(&new, dir).map_err(|e| io_error(&new, e))?;
        } else if retired.exists() {
            std::fs::rename(&retired, dir).map_err(|e| io_error(&retired, e))?;
        }
    }
    if dir.exists() {
        for leftover in [new, retired] {
            if leftover.exists() {
                std::fs::remove_dir_all(&leftover).map_err(|e| io_error(&leftover, e))?;
            }
        }
    }
    Ok(())
}

fn sync_dir(path: &Path) -> Result<(), CatalogError> {
    std::fs::File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(path, e))
}

/// Marks a compacted catalog as complete.
const COMPACT_DONE: &str = "compacted";

impl Catalog {
    /// Rewrites the catalog in `dir` into a new directory holding only what is in it now, and
    /// puts the new one in its place. sled keeps overwritten and removed values in its files
    /// until it happens to reclaim their space; after a disposition they must go now. The
    /// catalog must not be open. Every tree is copied key by key; a crash leaves the old
    /// catalog or the new one in place (see [`Catalog::open`]).
    pub fn compact(dir: &Path) -> Result<CompactReport, CatalogError> {
        settle_compaction(dir)?;
        let bytes_before = dir_bytes(dir);
        let new_dir = sibling(dir, ".compact");
        {
            // Without flusher threads, dropping a handle lets go of its directory at once.
            let old = open_with(&sled::Config::new().path(dir).flush_every_ms(None))?;
            let new = sled::Config::new()
                .path(&new_dir)
                .flush_every_ms(None)
                .open()?;
            for name in old.tree_names() {
                let from = old.open_tree(&name)?;
                let to = new.open_tree(&name)?;
                for entry in from.iter() {
                    let (key, value) = entry?;
                    to.insert(key, value)?;
                }
            }
            new.flush()?;
        }
        // The marker says the new catalog is complete; it and the directory are synced before
        // the old catalog is moved away.
        let done = new_dir.join(COMPACT_DONE);
        std::fs::File::create(&done)
            .and_then(|f| f.sync_all())
            .map_err(|e| io_error(&done, e))?;
        sync_dir(&new_dir)?;
        let parent = dir.parent().unwrap_or(Path::new("."));
        sync_dir(parent)?;
        let retired = sibling(dir, ".retired");
        std::fs::rename(dir, &retired).map_err(|e| io_error(dir, e))?;
        std::fs::rename(&new_dir, dir).map_err(|e| io_error(&new_dir, e))?;
        sync_dir(parent)?;
        std::fs::remove_file(dir.join(COMPACT_DONE)).map_err(|e| io_error(dir, e))?;
        std::fs::remove_dir_all(&retired).map_err(|e| io_error(&retired, e))?;
        sync_dir(parent)?;
        Ok(CompactReport {
            bytes_before,
            bytes_after: dir_bytes(dir),
        })
    }

    /// Opens the catalog in `dir`, creating it if it does not exist.
    pub fn open(dir: &Path) -> Result<Self, CatalogError> {
        settle_compaction(dir)?;
        let db = open_db(dir)?;
        let trees = TREES
            .iter()
            .map(|(_, name)| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        let meta = &trees[T::Meta as usize];
        match meta.get(store::META_FORMAT)? {
            None => {
                meta.insert(
                    store::META_FORMAT,
                    store::encode(&CATALOG_FORMAT, "format")?,
                )?;
            }
            Some(bytes) => {
                let found: u64 = store::decode(&bytes, || "catalog format".into())?;
                if found != CATALOG_FORMAT {
                    return Err(CatalogError::Format {
                        found,
                        supported: CATALOG_FORMAT,
                    });
                }
            }
        }
        let last_seq = match meta.get(store::META_LAST_SEQ)? {
            None => None,
            Some(bytes) => Some(store::decode::<u64>(&bytes, || "last seq".into())?),
        };
        let plan = match trees[T::Plans as usize].last()? {
            None => None,
            Some((_, bytes)) => {
                let stored: StoredPlan = store::decode(&bytes, || "current plan".into())?;
                Some(Arc::new(stored.plan))
            }
        };
        Ok(Self {
            db,
            trees,
            writer: Mutex::new(()),
            last_seq: RwLock::new(last_seq),
            plan: RwLock::new(plan),
        })
    }

    /// Whether `change` can be applied now, without applying it. A catalog that cannot be read
    /// gives [`Refusal::CatalogUnavailable`]; use [`Catalog::try_check`] to tell that apart.
    pub fn check(&self, change: &Change) -> Result<(), Refusal> {
        match self.try_check(change) {
            Ok(verdict) => verdict,
            Err(e) => Err(Refusal::CatalogUnavailable {
                reason: e.to_string(),
            }),
        }
    }

    /// Whether `change` can be applied now: the outer error is a failure to read the catalog,
    /// the inner one the refusal.
    pub fn try_check(&self, change: &Change) -> Result<Result<(), Refusal>, CatalogError> {
        Ok(self.prepare(self.next_seq(), change)?.map(|_| ()))
    }

    /// Applies `change` as journal entry `seq`. A seq at or below the last one applied or
    /// skipped is not applied again (`Ok(false)`). Otherwise the change is checked — a refusal
    /// here means the journal and the catalog disagree — and its effects are written together
    /// with the new last seq in one transaction (`Ok(true)`).
    pub fn apply(&self, seq: u64, change: &Change) -> Result<bool, CatalogError> {
        let _writer = self.write_lock();
        if self.is_seen(seq) {
            return Ok(false);
        }
        let prepared = self.prepare(seq, change)?.map_err(CatalogError::Refused)?;
        let mut writes = prepared.writes;
        writes.put(T::Meta, store::META_LAST_SEQ, store::encode(&seq, "seq")?);
        writes.commit(&self.trees)?;
        if let Some(plan) = prepared.new_plan {
            *self.plan.write().unwrap_or_else(|e| e.into_inner()) = Some(plan);
        }
        *self.last_seq.write().unwrap_or_else(|e| e.into_inner()) = Some(seq);
        debug!(seq, change = change.kind(), "catalog change applied");
        Ok(true)
    }

    /// Records that journal entry `seq` was seen but is not a catalog change, so that replay
    /// resumes after it. A seq already seen changes nothing.
    pub fn skip(&self, seq: u64) -> Result<(), CatalogError> {
        let _writer = self.write_lock();
        if self.is_seen(seq) {
            return Ok(());
        }
        self.trees[T::Meta as usize].insert(store::META_LAST_SEQ, store::encode(&seq, "seq")?)?;
        *self.last_seq.write().unwrap_or_else(|e| e.into_inner()) = Some(seq);
        Ok(())
    }

    /// The first journal seq not yet applied or skipped.
    pub fn next_seq(&self) -> u64 {
        self.last_seq().map_or(0, |last| last.saturating_add(1))
    }

    /// The current (latest imported) plan.
    pub fn plan(&self) -> Result<Option<FilePlan>, CatalogError> {
        Ok(self.current_plan().map(|p| FilePlan::clone(&p)))
    }

    /// The Aktenzeichen the next Akte under `plan_code` in `year` gets: one above the highest
    /// running number ever used there, so that no number is given out twice.
    pub fn next_aktenzeichen(
        &self,
        plan_code: &PlanCode,
        year: u16,
    ) -> Result<Aktenzeichen, CatalogError> {
        let plan = self
            .current_plan()
            .ok_or(CatalogError::Refused(Refusal::NoPlan))?;
        if plan.find(plan_code).is_none() {
            return Err(CatalogError::Refused(Refusal::UnknownPlanCode {
                code: plan_code.clone(),
            }));
        }
        let highest = self.counter(plan_code, year)?;
        let exhausted = || {
            CatalogError::Refused(Refusal::AktenzeichenExhausted {
                plan_code: plan_code.clone(),
                year,
            })
        };
        let number = highest.saturating_add(1);
        if number > Aktenzeichen::MAX_NUMBER {
            return Err(exhausted());
        }
        Aktenzeichen::new(plan_code.clone(), number, year).map_err(|_| {
            CatalogError::Refused(Refusal::InvalidAktenzeichen {
                aktenzeichen: format!("{plan_code}-{number:04}/{year}"),
            })
        })
    }

    /// The Akte with this id.
    pub fn akte(&self, id: AkteId) -> Result<Option<Akte>, CatalogError> {
        self.get_json(T::Akten, store::id_key(id), || format!("Akte {id}"))
    }

    /// The Akte with this Aktenzeichen.
    pub fn akte_by_aktenzeichen(&self, az: &Aktenzeichen) -> Result<Option<Akte>, CatalogError> {
        let key = store::aktenzeichen_key(az);
        let id: Option<AkteId> =
            self.get_json(T::Aktenzeichen, key, || format!("Aktenzeichen {az}"))?;
        match id {
            Some(id) => self.akte(id),
            None => Ok(None),
        }
    }

    /// Every Akte, sorted by Aktenzeichen (destroyed ones are not Akten any more).
    pub fn akten(&self) -> Result<Vec<Akte>, CatalogError> {
        let mut akten = Vec::new();
        for entry in self.tree(T::Aktenzeichen).iter() {
            let (key, value) = entry?;
            let id: AkteId = store::decode(&value, || format!("Aktenzeichen key {key:?}"))?;
            match self.akte(id)? {
                Some(akte) => akten.push(akte),
                None if self.tombstone(id)?.is_some() => {}
                None => {
                    return Err(CatalogError::corrupt(format!(
                        "Akte {id} is indexed but missing"
                    )));
                }
            }
        }
        Ok(akten)
    }

    /// The id of the blob holding the adopted retention rule files, if a set was adopted.
    pub fn rule_set(&self) -> Result<Option<BlobId>, CatalogError> {
        match self.tree(T::RuleSets).last()? {
            None => Ok(None),
            Some((_, bytes)) => store::decode(&bytes, || "current rule set".into()).map(Some),
        }
    }

    /// The hold with this id.
    pub fn hold(&self, id: HoldId) -> Result<Option<Hold>, CatalogError> {
        self.get_json(T::Holds, store::id_key(id), || format!("hold {id}"))
    }

    /// Every hold, released ones included, by id.
    pub fn holds(&self) -> Result<Vec<Hold>, CatalogError> {
        self.all_json(T::Holds, "hold")
    }

    /// The Akten the active holds cover, each with the ids of the holds covering it. A hold on
    /// a Vorgang or a document covers its Akte; so does a query hold on a document.
    pub fn try_active_holds(&self) -> Result<BTreeMap<AkteId, Vec<HoldId>>, CatalogError> {
        let mut covered: BTreeMap<AkteId, Vec<HoldId>> = BTreeMap::new();
        for hold in self.holds()?.into_iter().filter(Hold::is_active) {
            let mut akten = BTreeSet::new();
            match &hold.scope {
                HoldScope::Akte { id } => {
                    akten.insert(*id);
                }
                HoldScope::Vorgang { id } => {
                    akten.extend(self.vorgang(*id)?.map(|v| v.akte_id));
                }
                HoldScope::Dokument { id } => {
                    akten.extend(self.dokument(*id)?.and_then(|d| d.akte_id));
                }
                HoldScope::Query { documents, .. } => {
                    for id in documents {
                        akten.extend(self.dokument(*id)?.and_then(|d| d.akte_id));
                    }
                }
            }
            for akte in akten {
                covered.entry(akte).or_default().push(hold.id);
            }
        }
        Ok(covered)
    }

    /// The disposition batch with this id.
    pub fn batch(&self, id: BatchId) -> Result<Option<Batch>, CatalogError> {
        self.get_json(T::Batches, store::id_key(id), || format!("batch {id}"))
    }

    /// Every disposition batch, by id.
    pub fn batches(&self) -> Result<Vec<Batch>, CatalogError> {
        self.all_json(T::Batches, "batch")
    }

    /// The batch an Akte is in, while it has not disposed of it.
    pub fn batch_of(&self, akte: AkteId) -> Result<Option<BatchId>, CatalogError> {
        self.get_json(T::BatchAkten, store::id_key(akte), || {
            format!("batch of Akte {akte}")
        })
    }

    /// The tombstone of a destroyed Akte.
    pub fn tombstone(&self, akte: AkteId) -> Result<Option<Tombstone>, CatalogError> {
        self.get_json(T::Tombstones, store::id_key(akte), || {
            format!("tombstone of {akte}")
        })
    }

    /// Every tombstone, by Akte id.
    pub fn tombstones(&self) -> Result<Vec<Tombstone>, CatalogError> {
        self.all_json(T::Tombstones, "tombstone")
    }

    /// The Vorgänge of an Akte, oldest first.
    pub fn vorgaenge(&self, akte: AkteId) -> Result<Vec<Vorgang>, CatalogError> {
        let mut vorgaenge = Vec::new();
        for entry in self.tree(T::AkteVorgaenge).scan_prefix(store::id_key(akte)) {
            let (key, _) = entry?;
            let id = store::vorgang_of_key(&key)?;
            let vorgang = self.vorgang(id)?.ok_or_else(|| {
                CatalogError::corrupt(format!("Vorgang {id} is indexed but missing"))
            })?;
            vorgaenge.push(vorgang);
        }
        vorgaenge.sort_by_key(|v| (v.created, v.id));
        Ok(vorgaenge)
    }

    /// The Vorgang with this id.
    pub fn vorgang(&self, id: VorgangId) -> Result<Option<Vorgang>, CatalogError> {
        self.get_json(T::Vorgaenge, store::id_key(id), || format!("Vorgang {id}"))
    }

    /// The document with this id.
    pub fn dokument(&self, id: DokumentId) -> Result<Option<Dokument>, CatalogError> {
        self.get_json(T::Dokumente, store::id_key(id), || format!("document {id}"))
    }

    /// The documents filed in an Akte, or in the inbox (`None`), in the order they were filed.
    pub fn dokumente_in(&self, akte: Option<AkteId>) -> Result<Vec<Dokument>, CatalogError> {
        let mut dokumente = Vec::new();
        for entry in self
            .tree(T::LocationDocs)
            .scan_prefix(store::location_key(akte))
        {
            let (key, _) = entry?;
            let id: DokumentId = store::id_at(&key, store::LOCATION_LEN, "location_docs")?;
            dokumente.push(self.dokument(id)?.ok_or_else(|| {
                CatalogError::corrupt(format!("document {id} is indexed but missing"))
            })?);
        }
        dokumente.sort_by_key(|d| (d.filed, d.id));
        Ok(dokumente)
    }

    /// Every document, by id.
    pub fn dokumente(&self) -> Result<Vec<Dokument>, CatalogError> {
        self.tree(T::Dokumente)
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                store::decode(&value, || format!("document at key {key:?}"))
            })
            .collect()
    }

    /// The documents filed in that Akte (or the inbox) of which some version has this
    /// SHA-256, so that an interrupted ingest can tell what it already filed.
    pub fn find_by_sha256(
        &self,
        akte: Option<AkteId>,
        sha256: &Sha256Digest,
    ) -> Result<Vec<DokumentId>, CatalogError> {
        let prefix = store::sha256_prefix(akte, sha256);
        self.tree(T::Sha256Docs)
            .scan_prefix(&prefix)
            .map(|entry| store::id_at(&entry?.0, prefix.len(), "sha256_docs"))
            .collect()
    }

    /// The versions whose text extraction is pending, by document id and version number.
    pub fn pending_extractions(&self) -> Result<Vec<(DokumentId, u32)>, CatalogError> {
        self.tree(T::Pending)
            .iter()
            .map(|entry| store::pending_of_key(&entry?.0))
            .collect()
    }

    /// Every blob the catalog refers to (plan files, originals, renditions), sorted, each once.
    pub fn referenced_blobs(&self) -> Result<Vec<BlobId>, CatalogError> {
        let mut blobs = BTreeSet::new();
        for entry in self.tree(T::Plans).iter() {
            let (key, value) = entry?;
            let stored: StoredPlan = store::decode(&value, || format!("plan at key {key:?}"))?;
            blobs.insert(stored.blob);
        }
        for entry in self.tree(T::RuleSets).iter() {
            let (key, value) = entry?;
            blobs.insert(store::decode(&value, || {
                format!("rule set at key {key:?}")
            })?);
        }
        for batch in self.batches()? {
            blobs.extend(batch.appraisal_blob);
            blobs.extend(batch.receipt_blob);
        }
        for dokument in self.dokumente()? {
            for version in &dokument.versions {
                blobs.insert(version.blob);
                if let Extraction::Done { rendition, .. } = &version.extraction {
                    blobs.insert(*rendition);
                }
            }
        }
        Ok(blobs.into_iter().collect())
    }

    /// Writes everything applied so far to disk. Not needed for consistency — the journal is
    /// the source of truth and a lost tail is replayed — but it shortens the replay after a crash.
    pub fn flush(&self) -> Result<(), CatalogError> {
        self.db.flush()?;
        Ok(())
    }

    fn tree(&self, tree: T) -> &Tree {
        &self.trees[tree as usize]
    }

    fn write_lock(&self) -> MutexGuard<'_, ()> {
        // The guarded state is in sled and in the RwLocks, which are only set after a commit,
        // so a panic elsewhere while holding the lock leaves nothing half-done behind it.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn last_seq(&self) -> Option<u64> {
        *self.last_seq.read().unwrap_or_else(|e| e.into_inner())
    }

    fn is_seen(&self, seq: u64) -> bool {
        self.last_seq().is_some_and(|last| seq <= last)
    }

    fn current_plan(&self) -> Option<Arc<FilePlan>> {
        self.plan.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn counter(&self, code: &PlanCode, year: u16) -> Result<u32, CatalogError> {
        let key = store::counter_key(code, year);
        let highest: Option<u32> =
            self.get_json(T::Counters, key, || format!("counter {code} {year}"))?;
        Ok(highest.unwrap_or(0))
    }

    fn all_json<V: serde::de::DeserializeOwned>(
        &self,
        tree: T,
        what: &'static str,
    ) -> Result<Vec<V>, CatalogError> {
        self.tree(tree)
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                store::decode(&value, || format!("{what} at key {key:?}"))
            })
            .collect()
    }

    fn get_json<V: serde::de::DeserializeOwned>(
        &self,
        tree: T,
        key: impl AsRef<[u8]>,
        what: impl FnOnce() -> String,
    ) -> Result<Option<V>, CatalogError> {
        match self.tree(tree).get(key)? {
            None => Ok(None),
            Some(bytes) => store::decode(&bytes, what).map(Some),
        }
    }
}
