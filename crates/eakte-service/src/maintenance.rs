//! Rebuild and verify: the views recreated from the sources of truth, and the three checked
//! together.

use std::collections::BTreeSet;
use std::path::Path;

use eakte_catalog::Catalog;
use eakte_config::Config;
use eakte_store::{BlobStore, VerifyProblem};
use eakte_types::BlobId;
use tracing::info;

use crate::service::{Options, replay_entry};
use crate::{Service, ServiceError};

/// What `verify` found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// Blobs the store re-read and re-hashed.
    pub blobs_checked: u64,
    /// Blobs the catalog references (originals, renditions, plans).
    pub referenced_blobs: usize,
    /// Journal entries replayed to check the catalog.
    pub journal_entries: u64,
    /// Records in the catalog (lines of its canonical dump).
    pub catalog_records: usize,
    /// Everything that did not check out, one line each.
    pub problems: Vec<String>,
}

impl Service {
    /// Deletes the catalog and the index and recreates both from the journal and the store.
    /// Versions without extracted text are queued for extraction again.
    pub fn rebuild(data: &Path, config: Config, options: Options) -> Result<Self, ServiceError> {
        // The journal's lock keeps any other eakte process out while the views are gone.
        let lock =
            eakte_journal::Journal::open(&eakte_journal::journal_dir(data), &config.journal)?;
        for view in ["catalog", "index"] {
            let dir = data.join(view);
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ServiceError::io(
                        format!("cannot remove {}", dir.display()),
                        e,
                    ));
                }
            }
        }
        let _ = std::fs::remove_file(data.join("index.seq"));
        lock.close()?;
        info!("views removed; replaying the journal");
        Self::open_with(data, config, options, true)
    }

    /// The catalog's canonical dump (identical before and after a rebuild); journaled as
    /// `catalog.dumped`, since it shows every record.
    pub fn catalog_dump(&self, who: &crate::Principal) -> Result<String, ServiceError> {
        self.require(who, crate::Right::Maintain)?;
        let dump = self.parts.catalog.dump()?;
        self.parts.journal.append(
            eakte_journal::NewEvent::new(
                who.actor(),
                eakte_journal::action::CATALOG_DUMPED,
                eakte_journal::Outcome::Ok,
            )
            .detail("records", dump.lines().count()),
        )?;
        Ok(dump)
    }

    /// Checks store, journal and catalog together: every stored byte re-hashed, every blob the
    /// catalog references present and intact, and every catalog record backed by the journal
    /// (the journal replayed into a scratch catalog gives the same canonical dump).
    pub fn verify(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<VerifyReport, ServiceError> {
        let parts = &self.parts;
        let mut report = VerifyReport::default();
        let store_report = parts.store.verify(progress)?;
        report.blobs_checked = store_report.blobs_checked;
        let corrupt: BTreeSet<BlobId> = store_report.corrupt_blobs().copied().collect();
        for problem in &store_report.problems {
            match problem {
                VerifyProblem::CorruptBlob { id, detail } => report
                    .problems
                    .push(format!("store: blob {id} is corrupt: {detail}")),
                VerifyProblem::DamagedRegion {
                    segment,
                    offset,
                    len,
                } => report.problems.push(format!(
                    "store: segment {segment} has {len} damaged bytes at offset {offset}"
                )),
            }
        }
        let referenced = parts.catalog.referenced_blobs()?;
        report.referenced_blobs = referenced.len();
        for blob in &referenced {
            if !parts.store.contains(blob) {
                report.problems.push(format!(
                    "catalog: referenced blob {blob} is not in the store"
                ));
            } else if corrupt.contains(blob) {
                report
                    .problems
                    .push(format!("catalog: referenced blob {blob} is corrupt"));
            }
        }
        // Replay the journal up to what the catalog has seen into a scratch catalog. Scratch
        // catalogs a killed verify left behind hold personal data: they go first.
        remove_stale_scratch(&parts.data);
        let scratch = tempfile::Builder::new()
            .prefix("verify-catalog-")
            .tempdir_in(&parts.data)
            .map_err(|e| ServiceError::io("cannot make a scratch directory", e))?;
        let replayed = Catalog::open(scratch.path())?;
        let _guard = parts.write_lock();
        let end = parts.catalog.next_seq();
        for seq in 0..end {
            if let Err(e) = replay_entry(&parts.journal, &parts.store, &replayed, seq) {
                report
                    .problems
                    .push(format!("journal entry {seq} does not replay: {e}"));
            }
        }
        report.journal_entries = end;
        let live = parts.catalog.dump()?;
        let expected = replayed.dump()?;
        report.catalog_records = live.lines().count();
        if live != expected {
            let live_lines: BTreeSet<&str> = live.lines().collect();
            let expected_lines: BTreeSet<&str> = expected.lines().collect();
            for line in live_lines.difference(&expected_lines).take(20) {
                report
                    .problems
                    .push(format!("catalog: record not backed by the journal: {line}"));
            }
            for line in expected_lines.difference(&live_lines).take(20) {
                report
                    .problems
                    .push(format!("catalog: journaled record missing: {line}"));
            }
        }
        Ok(report)
    }
}

/// Removes `verify-catalog-*` directories that a killed `verify` left in the data directory.
fn remove_stale_scratch(data: &Path) {
    let Ok(entries) = std::fs::read_dir(data) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("verify-catalog-")
            && let Err(e) = std::fs::remove_dir_all(entry.path())
        {
            tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove a stale scratch catalog");
        }
    }
}
