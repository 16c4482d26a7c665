//! The extraction queue: versions waiting for their text, worked off by one thread per worker
//! process. A job spools the original to a private file, extracts it in a sandboxed worker,
//! stores the result as a rendition blob, journals it, applies it to the catalog and indexes
//! the text.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use eakte_catalog::{Change, Extraction as ExtractionState};
use eakte_extract::pool::WorkerPool;
use eakte_journal::Actor;
use eakte_store::BlobStore;
use eakte_types::DokumentId;
use tracing::{debug, error, info};

use crate::ServiceError;
use crate::service::Parts;

/// The actor extraction results are journaled under.
pub(crate) fn system_actor() -> Actor {
    Actor {
        user: "eakte".into(),
        role: "system".into(),
        unit: None,
        client: Some("extraction".into()),
    }
}

#[derive(Default)]
struct State {
    jobs: VecDeque<(DokumentId, u32)>,
    /// Jobs queued or running.
    outstanding: usize,
    stopping: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The queue and its threads.
pub(crate) struct Queue {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Queue {
    /// Starts one thread per worker process of `pool`.
    pub(crate) fn start(parts: Arc<Parts>, pool: WorkerPool) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let pool = Arc::new(pool);
        let threads = (0..pool.size())
            .map(|n| {
                let shared = Arc::clone(&shared);
                let parts = Arc::clone(&parts);
                let pool = Arc::clone(&pool);
                std::thread::Builder::new()
                    .name(format!("extract-{n}"))
                    .spawn(move || run(&shared, &parts, &pool))
                    .unwrap_or_else(|e| panic!("cannot start an extraction thread: {e}"))
            })
            .collect();
        Self { shared, threads }
    }

    /// Queues the extraction of a version.
    pub(crate) fn push(&self, id: DokumentId, version: u32) {
        let mut state = self.shared.lock();
        state.jobs.push_back((id, version));
        state.outstanding += 1;
        self.shared.changed.notify_all();
    }

    /// Jobs queued or running.
    pub(crate) fn outstanding(&self) -> usize {
        self.shared.lock().outstanding
    }

    /// Blocks until no job is queued or running.
    pub(crate) fn wait_idle(&self) {
        let mut state = self.shared.lock();
        while state.outstanding > 0 {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Finishes the queued jobs, then ends the threads.
    pub(crate) fn stop(mut self) {
        self.wait_idle();
        self.shared.lock().stopping = true;
        self.shared.changed.notify_all();
        for thread in self.threads.drain(..) {
            // A thread that panicked has already logged; the jobs it held stay pending in the
            // catalog and are queued again on the next open.
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared, parts: &Parts, pool: &WorkerPool) {
    loop {
        let job = {
            let mut state = shared.lock();
            loop {
                if let Some(job) = state.jobs.pop_front() {
                    break job;
                }
                if state.stopping {
                    return;
                }
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let (id, version) = job;
        // A panic must not leave the job counted as outstanding: close and wait_idle would
        // wait for it forever. The version stays pending and the next open queues it again.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            extract_one(parts, pool, id, version)
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                error!(document = %id, version, error = %e, "extraction could not be recorded")
            }
            Err(_) => error!(document = %id, version, "extraction job panicked"),
        }
        let mut state = shared.lock();
        state.outstanding -= 1;
        shared.changed.notify_all();
    }
}

/// Extracts one version and records the outcome: journal, catalog, index.
fn extract_one(
    parts: &Parts,
    pool: &WorkerPool,
    id: DokumentId,
    version: u32,
) -> Result<(), ServiceError> {
    let dokument = parts.dokument(id)?;
    let Some(stored) = dokument.version(version) else {
        return Err(ServiceError::NotFound {
            what: format!("version {version} of document {id}"),
        });
    };
    if !matches!(stored.extraction, ExtractionState::Pending) {
        debug!(document = %id, version, "already extracted");
        return Ok(());
    }
    // The worker reads a file; the original is spooled, verified on read, to a private temp
    // file that is removed when this job ends.
    let mut spool = tempfile::Builder::new()
        .prefix("eakte-extract-")
        .tempfile()
        .map_err(|e| ServiceError::io("cannot create a spool file", e))?;
    let mut reader = parts.store.get(&stored.blob)?;
    std::io::copy(&mut reader, spool.as_file_mut())
        .and_then(|_| spool.as_file_mut().flush())
        .map_err(|e| ServiceError::io("cannot spool the original for extraction", e))?;
    let outcome = pool.extract(spool.path());
    drop(spool);
    let extraction = match outcome {
        Ok(result) => {
            let bytes = serde_json::to_vec(&result).map_err(|e| {
                ServiceError::Corruption(format!("an extraction cannot be serialised: {e}"))
            })?;
            let put = parts.store.put(&mut bytes.as_slice())?;
            info!(document = %id, version, pages = result.pages.len(), "text extracted");
            let ocr = result
                .pages
                .iter()
                .filter(|p| p.source == eakte_extract::PageSource::Ocr)
                .count();
            parts
                .ocr_pages
                .fetch_add(ocr as u64, std::sync::atomic::Ordering::Relaxed);
            ExtractionState::Done {
                rendition: put.id,
                pages: u32::try_from(result.pages.len()).unwrap_or(u32::MAX),
                language: result.language.clone(),
            }
        }
        // The system's own trouble (a worker that could not be started or talked to) is not a
        // verdict on the document: the version stays pending and is tried again on the next open.
        Err(e) if matches!(e.code(), "io" | "internal") => {
            return Err(ServiceError::Internal(format!(
                "extraction of document {id} version {version} did not run: {e}"
            )));
        }
        Err(e) => {
            info!(document = %id, version, code = e.code(), "no text extracted");
            ExtractionState::Failed {
                code: e.code().to_owned(),
                message: bounded(&e.to_string(), MAX_FAILURE_MESSAGE_CHARS),
            }
        }
    };
    {
        let guard = parts.write_lock();
        parts.commit_change(
            &guard,
            &system_actor(),
            &Change::ExtractionRecorded {
                id,
                version,
                extraction,
            },
        )?;
    }
    parts.reindex(id);
    Ok(())
}

/// The longest failure message kept with a version (it goes to the journal's payload).
const MAX_FAILURE_MESSAGE_CHARS: usize = 500;

fn bounded(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
