//! [`SearchIndex`]: opening the index folder, adding and deleting units, the background
//! committer that makes them searchable, and the one long-lived reader.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use eakte_config::IndexConfig;
use eakte_types::DokumentId;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::{LogMergePolicy, MergePolicy, NoMergePolicy};
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Term};

use crate::analysis::Analyzers;
use crate::error::IndexError;
use crate::model::{IndexDoc, SearchRequest, SearchResults};
use crate::schema::{self, Fields};
use crate::search;

/// Smallest per-thread budget tantivy accepts for its indexing arena.
const MIN_THREAD_MEMORY: u64 = 15_000_000;
/// Largest per-thread budget tantivy accepts (its arena addresses with 32 bits).
const MAX_THREAD_MEMORY: u64 = 3 << 30;
/// Tantivy refuses more indexing threads than this.
const MAX_THREADS: usize = 8;
/// A level of similar-sized segments is merged once it has this many; with a commit every
/// half second this keeps a few dozen segments at most.
const MERGE_MIN_SEGMENTS: usize = 6;
/// A segment with more deleted documents than this share is rewritten, so that deleted
/// documents leave the disk.
const MERGE_DELETES_RATIO: f32 = 0.2;
/// Zstd level of the stored page texts: level 3 compresses German text to about a third at
/// a decompression speed that keeps snippets cheap.
const DOCSTORE_ZSTD_LEVEL: i32 = 3;

/// State shared by the index handle and its committer thread.
pub(crate) struct Shared {
    pub(crate) index: Index,
    pub(crate) fields: Fields,
    pub(crate) analyzers: Analyzers,
    pub(crate) reader: IndexReader,
    pub(crate) config: IndexConfig,
    writer: Mutex<Option<IndexWriter>>,
    /// Indexing threads and their memory budget, for writers opened again by `force_merge`.
    threads: usize,
    memory: usize,
    /// Something was added or deleted since the last commit.
    dirty: AtomicBool,
    /// A bulk load is running: no timed commits and no merges until the next explicit commit.
    bulk: AtomicBool,
    stop: Mutex<bool>,
    wake: Condvar,
}

impl Shared {
    fn writer(&self) -> MutexGuard<'_, Option<IndexWriter>> {
        // The writer keeps its own consistent state; a panic elsewhere while the lock was
        // held leaves nothing half-done in it.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn commit(&self) -> Result<(), IndexError> {
        let mut guard = self.writer();
        let writer = guard.as_mut().ok_or_else(closed)?;
        self.commit_locked(writer, false)?;
        drop(guard);
        self.reader.reload()?;
        Ok(())
    }

    /// Commits with the writer lock held by the caller, and ends a bulk load; its segments
    /// are handed to the merge policy unless `merge_later` (the caller merges them itself).
    fn commit_locked(&self, writer: &mut IndexWriter, merge_later: bool) -> Result<(), IndexError> {
        self.dirty.store(false, Ordering::SeqCst);
        if let Err(err) = writer.commit() {
            self.dirty.store(true, Ordering::SeqCst);
            return Err(err.into());
        }
        if self.bulk.swap(false, Ordering::SeqCst) && !merge_later {
            writer.set_merge_policy(merge_policy());
        }
        Ok(())
    }

    /// A new writer on the index; the caller holds the writer lock with no writer in it.
    fn open_writer(&self, policy: Box<dyn MergePolicy>) -> Result<IndexWriter, IndexError> {
        let writer: IndexWriter = self
            .index
            .writer_with_num_threads(self.threads, self.memory)?;
        writer.set_merge_policy(policy);
        Ok(writer)
    }

    fn run_committer(&self) {
        let interval = Duration::from_millis(self.config.commit_interval_ms.max(1));
        let mut stopped = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            // Checked before every wait: a stop requested while this thread was starting or
            // committing has already been notified, and waiting would miss it.
            if *stopped {
                return;
            }
            stopped = self
                .wake
                .wait_timeout(stopped, interval)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            if *stopped {
                return;
            }
            drop(stopped);
            if self.dirty.load(Ordering::SeqCst)
                && !self.bulk.load(Ordering::SeqCst)
                && let Err(err) = self.commit()
            {
                tracing::error!(error = %err, "background commit of the search index failed");
            }
            stopped = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The full-text index: one unit per document version. Shared by threads through `&self`;
/// added units become searchable within `commit_interval_ms` without a commit per document.
pub struct SearchIndex {
    shared: Arc<Shared>,
    dir: PathBuf,
    committer: Option<JoinHandle<()>>,
}

fn closed() -> IndexError {
    IndexError::Writer("index is closed".to_owned())
}

/// The merge policy outside bulk loads.
fn merge_policy() -> Box<dyn MergePolicy> {
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(MERGE_MIN_SEGMENTS);
    policy.set_del_docs_ratio_before_merge(MERGE_DELETES_RATIO);
    Box::new(policy)
}

fn writer_threads(config: &IndexConfig) -> (usize, u64) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let wanted = if config.writer_threads == 0 {
        cores
    } else {
        config.writer_threads
    };
    let by_memory = usize::try_from(config.writer_memory_bytes / MIN_THREAD_MEMORY).unwrap_or(1);
    let threads = wanted.min(MAX_THREADS).min(by_memory).max(1);
    let memory = config
        .writer_memory_bytes
        .max(MIN_THREAD_MEMORY)
        .min(MAX_THREAD_MEMORY * threads as u64);
    (threads, memory)
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the folder and an empty index if missing. An index
    /// written with another schema is reported as [`IndexError::Corruption`]: the caller
    /// deletes the folder and rebuilds.
    pub fn open(dir: &Path, config: &IndexConfig) -> Result<Self, IndexError> {
        Self::open_with(dir, config, false)
    }

    /// Opens the index like [`open`](Self::open) for a bulk load, such as a rebuild from
    /// nothing: there are no timed commits and no merges until the next explicit
    /// [`commit`](Self::commit), [`force_merge`](Self::force_merge) or
    /// [`close`](Self::close), which ends the bulk load; from then on the index behaves as if
    /// opened with `open`. Nothing added before that commit is searchable.
    pub fn open_bulk(dir: &Path, config: &IndexConfig) -> Result<Self, IndexError> {
        Self::open_with(dir, config, true)
    }

    fn open_with(dir: &Path, config: &IndexConfig, bulk: bool) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema::build();
        let directory = MmapDirectory::open(dir)?;
        let index = if Index::exists(&directory)? {
            let index = Index::open(directory)?;
            if index.schema() != schema {
                return Err(IndexError::Corruption(
                    "index was written with another schema; delete and rebuild it".to_owned(),
                ));
            }
            index
        } else {
            let settings = IndexSettings {
                docstore_compression: Compressor::Zstd(ZstdCompressor {
                    compression_level: Some(DOCSTORE_ZSTD_LEVEL),
                }),
                ..IndexSettings::default()
            };
            Index::builder()
                .schema(schema)
                .settings(settings)
                .open_or_create(directory)?
        };
        let analyzers = Analyzers::new()?;
        analyzers.register(&index);
        let (threads, memory) = writer_threads(config);
        let memory = usize::try_from(memory).unwrap_or(usize::MAX);
        let writer: IndexWriter = index.writer_with_num_threads(threads, memory)?;
        // Merging the segments of a bulk load while it runs would rewrite most of them
        // several times over; they are merged once the load is committed.
        writer.set_merge_policy(if bulk {
            Box::new(NoMergePolicy)
        } else {
            merge_policy()
        });
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let shared = Arc::new(Shared {
            index,
            fields,
            analyzers,
            reader,
            config: config.clone(),
            writer: Mutex::new(Some(writer)),
            threads,
            memory,
            dirty: AtomicBool::new(false),
            bulk: AtomicBool::new(bulk),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        let background = Arc::clone(&shared);
        let committer = std::thread::Builder::new()
            .name("eakte-index-commit".to_owned())
            .spawn(move || background.run_committer())?;
        Ok(Self {
            shared,
            dir: dir.to_owned(),
            committer: Some(committer),
        })
    }

    /// Adds a unit, replacing the unit of the same document and version. It becomes
    /// searchable with the next commit (background or [`commit`](Self::commit)).
    pub fn upsert(&self, doc: &IndexDoc) -> Result<(), IndexError> {
        let f = &self.shared.fields;
        let document = f.document(doc);
        let key = schema::unit_key(&doc.document_id, doc.version);
        let guard = self.shared.writer();
        let writer = guard.as_ref().ok_or_else(closed)?;
        // Under the lock, so two upserts of one unit cannot interleave into a duplicate.
        writer.delete_term(Term::from_field_text(f.key, &key));
        writer.add_document(document)?;
        self.shared.dirty.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Adds a unit the caller knows is not in the index yet, such as every unit of a rebuild
    /// from nothing. Unlike [`upsert`](Self::upsert) it does not look for an older copy to
    /// replace, which saves a term lookup in every segment at the next commit; adding a unit
    /// that is already there leaves two copies of it.
    pub fn add_new(&self, doc: &IndexDoc) -> Result<(), IndexError> {
        let document = self.shared.fields.document(doc);
        let guard = self.shared.writer();
        let writer = guard.as_ref().ok_or_else(closed)?;
        writer.add_document(document)?;
        self.shared.dirty.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Deletes every version of a document (with the next commit).
    pub fn delete_document(&self, id: DokumentId) -> Result<(), IndexError> {
        let guard = self.shared.writer();
        let writer = guard.as_ref().ok_or_else(closed)?;
        writer.delete_term(Term::from_field_text(
            self.shared.fields.doc_id,
            &id.to_string(),
        ));
        self.shared.dirty.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Commits now; when it returns, everything added before is searchable. Ends a bulk load.
    pub fn commit(&self) -> Result<(), IndexError> {
        self.shared.commit()
    }

    /// Runs a search against the current reader.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError> {
        search::search(&self.shared, request)
    }

    /// Searchable units now.
    pub fn num_docs(&self) -> u64 {
        self.shared.reader.searcher().num_docs()
    }

    /// Searchable segments now.
    pub fn segment_count(&self) -> usize {
        self.shared.reader.searcher().segment_readers().len()
    }

    /// Units deleted but still on disk in the searchable segments (merging removes them).
    pub fn num_deleted_docs(&self) -> u64 {
        self.shared
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|s| u64::from(s.num_deleted_docs()))
            .sum()
    }

    /// Size of the index folder on disk in bytes.
    pub fn index_bytes(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Commits, then merges every searchable segment into one, dropping deleted units; for
    /// after a bulk load. Upserts wait while it runs.
    pub fn force_merge(&self) -> Result<(), IndexError> {
        let shared = &self.shared;
        let mut guard = shared.writer();
        let mut writer = guard.take().ok_or_else(closed)?;
        // The merge policy's own merges may still run on some of the segments; merging them
        // again at the same time makes whichever merge ends last fail ("segments that were
        // merged could not be found"). Waiting for them needs the writer itself, so this
        // commits, lets the writer finish, and merges with a fresh one that merges nothing
        // by itself.
        let merged = shared
            .commit_locked(&mut writer, true)
            .and_then(|()| Ok(writer.wait_merging_threads()?))
            .and_then(|()| shared.open_writer(Box::new(NoMergePolicy)))
            .and_then(|mut writer| {
                let ids = shared.index.searchable_segment_ids()?;
                let deleted = shared
                    .index
                    .searchable_segment_metas()?
                    .iter()
                    .any(|m| m.has_deletes());
                if ids.len() > 1 || deleted {
                    writer.merge(&ids).wait()?;
                }
                writer.set_merge_policy(merge_policy());
                Ok(writer)
            });
        match merged {
            Ok(writer) => *guard = Some(writer),
            Err(err) => {
                // The old writer is gone; a new one keeps the index usable after the failure.
                *guard = shared.open_writer(merge_policy()).ok();
                return Err(err);
            }
        }
        drop(guard);
        shared.reader.reload()?;
        Ok(())
    }

    /// Commits, then rewrites every segment that holds deleted units without them and removes
    /// the files no longer used, so that the text of deleted documents is gone from disk (not
    /// only from search). Segments without deletions are not touched. Upserts wait while it
    /// runs. Returns the bytes of the segments rewritten (after the rewrite).
    pub fn purge_deleted(&self) -> Result<u64, IndexError> {
        let shared = &self.shared;
        let mut guard = shared.writer();
        let mut writer = guard.take().ok_or_else(closed)?;
        // As in `force_merge`: the merge policy's own merges must end before ours starts.
        let purged = shared
            .commit_locked(&mut writer, true)
            .and_then(|()| Ok(writer.wait_merging_threads()?))
            .and_then(|()| shared.open_writer(Box::new(NoMergePolicy)))
            .and_then(|mut writer| {
                let with_deletes: Vec<_> = shared
                    .index
                    .searchable_segment_metas()?
                    .iter()
                    .filter(|m| m.has_deletes())
                    .map(|m| m.id())
                    .collect();
                let mut rewritten = 0;
                if !with_deletes.is_empty()
                    && let Some(meta) = writer.merge(&with_deletes).wait()?
                {
                    // A segment's files are named by its id.
                    let prefix = meta.id().uuid_string();
                    rewritten = std::fs::read_dir(&self.dir)
                        .map(|entries| {
                            entries
                                .filter_map(Result::ok)
                                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                                .filter_map(|e| e.metadata().ok())
                                .map(|m| m.len())
                                .sum()
                        })
                        .unwrap_or(0);
                }
                writer.set_merge_policy(merge_policy());
                Ok((writer, rewritten))
            });
        let rewritten = match purged {
            Ok((writer, rewritten)) => {
                *guard = Some(writer);
                rewritten
            }
            Err(err) => {
                *guard = shared.open_writer(merge_policy()).ok();
                return Err(err);
            }
        };
        shared.reader.reload()?;
        // The merged-away files go once no reader holds them: the reader was just reloaded.
        if let Some(writer) = guard.as_ref() {
            writer.garbage_collect_files().wait()?;
        }
        Ok(rewritten)
    }

    fn stop_committer(&mut self) {
        *self
            .shared
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.shared.wake.notify_all();
        if let Some(handle) = self.committer.take()
            && handle.join().is_err()
        {
            tracing::error!("search index committer thread panicked");
        }
    }

    /// Final commit, then waits for merges to finish.
    pub fn close(mut self) -> Result<(), IndexError> {
        self.stop_committer();
        self.shared.commit()?;
        let writer = self.shared.writer().take();
        if let Some(writer) = writer {
            writer.wait_merging_threads()?;
        }
        Ok(())
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        self.stop_committer();
        // Without `close` the last additions would be lost; commit them on a best-effort
        // basis, as the index is a view that can be rebuilt anyway.
        if self.shared.dirty.load(Ordering::SeqCst)
            && let Err(err) = self.shared.commit()
        {
            tracing::warn!(error = %err, "final commit of the search index failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_threads_respect_tantivy_bounds() {
        let mut config = IndexConfig {
            writer_threads: 64,
            writer_memory_bytes: 128 << 20,
            ..IndexConfig::default()
        };
        let (threads, memory) = writer_threads(&config);
        assert_eq!(threads, MAX_THREADS);
        assert!(memory / threads as u64 >= MIN_THREAD_MEMORY);
        config.writer_memory_bytes = 15 << 20;
        assert_eq!(writer_threads(&config).0, 1);
        config.writer_threads = 1;
        config.writer_memory_bytes = 16 << 30;
        let (threads, memory) = writer_threads(&config);
        assert_eq!(threads, 1);
        assert!(memory <= MAX_THREAD_MEMORY);
    }
}
