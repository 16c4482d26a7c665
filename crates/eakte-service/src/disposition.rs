//! Disposition: batches of what is due, proposed by one records manager and approved by
//! another; the destruction of what needs no archive decision, or what the archive declined or
//! confirmed taking over; and the purge that removes the destroyed bytes from store, index,
//! journal payloads and catalog files.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::Utc;
use eakte_catalog::{
    Approval, Batch, BatchItem, Catalog, CompactReport, Extraction, Tombstone, TombstoneDocument,
    TombstoneVersion,
};
use eakte_config::Config;
use eakte_index::SearchIndex;
use eakte_journal::{EraseReport, journal_dir};
use eakte_retention::{Declined, Status};
use eakte_store::PurgeReport as StorePurge;
use eakte_types::{AkteId, BatchId};
use serde::Serialize;
use tracing::info;

use crate::access::{Hidden, Principal, Right};
use crate::filing::AkteKey;
use crate::{Service, ServiceError};

/// The most Akten one disposition batch holds (it is one journal entry).
pub const MAX_BATCH_AKTEN: usize = 150;

/// The largest tombstone, in bytes of JSON: it is one journal entry. An Akte with more versions
/// than fit waits (see `docs/retention.md`).
const MAX_TOMBSTONE_BYTES: usize = 40 * 1024;

/// What carrying out a batch did.
#[derive(Debug, Clone, Serialize)]
pub struct DestroyReport {
    /// The tombstones of the Akten destroyed now.
    pub destroyed: Vec<Tombstone>,
    /// Akten of the batch not destroyed now, with the reason.
    pub waiting: Vec<(AkteId, String)>,
}

/// What a purge removed from the data directory, and what it rewrote to do so.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PurgeReport {
    /// Destroyed Akten whose traces were looked for.
    pub akten: usize,
    /// Their documents.
    pub documents: usize,
    /// Blobs removed from the store (originals and renditions no live document shares).
    pub blobs: usize,
    /// The store's segments rewritten, and their bytes before and after.
    pub store_segments: u64,
    /// Store bytes before the rewrite of the affected segments.
    pub store_bytes_before: u64,
    /// Store bytes written again.
    pub store_bytes_rewritten: u64,
    /// Journal payloads erased.
    pub journal_payloads_erased: u64,
    /// Journal segments rewritten.
    pub journal_segments: u64,
    /// Journal bytes written again.
    pub journal_bytes_rewritten: u64,
    /// Index bytes written again (the segments that held destroyed documents).
    pub index_bytes_rewritten: u64,
    /// Catalog bytes before and after its compaction (all of it is written again).
    pub catalog_bytes_before: u64,
    /// Catalog bytes after.
    pub catalog_bytes_rewritten: u64,
}

impl Service {
    /// Proposes a batch of every Akte within reach whose end action is due today (see
    /// [`Service::today`]) and not blocked, and that is in no other batch. Nothing happens to the records until a
    /// different records manager approves it.
    pub fn propose_disposition(&self, who: &Principal) -> Result<Batch, ServiceError> {
        self.require(who, Right::ManageRetention)?;
        let today = self.today();
        let mut items = Vec::new();
        for view in self.due_views(who, today)? {
            let Some(state) = &view.state else { continue };
            if state.status != Status::Due || view.batch.is_some() {
                continue;
            }
            let Some(due_on) = state.due_on else { continue };
            items.push(BatchItem {
                akte: view.akte,
                aktenzeichen: view.aktenzeichen.parse().map_err(|e| {
                    ServiceError::Corruption(format!("Aktenzeichen {}: {e}", view.aktenzeichen))
                })?,
                rule: state.rule.clone(),
                action: state.action.as_str().to_owned(),
                if_declined: state.if_declined.map(|d| declined_name(d).to_owned()),
                due_on,
                appraisal: None,
                archived: None,
                destroyed_at: None,
            });
        }
        if items.is_empty() {
            return Err(ServiceError::input(
                "nothing_due",
                format!("nothing is due for disposition on {today}"),
            ));
        }
        // A batch is one journal entry; what does not fit goes into the next proposal.
        items.truncate(MAX_BATCH_AKTEN);
        let batch = Batch {
            id: BatchId::new_random(),
            as_of: today,
            proposed: Approval {
                by: who.user.clone(),
                at: Utc::now(),
            },
            approved: None,
            items,
            appraisal_blob: None,
            transfer_sha256: None,
            receipt_blob: None,
        };
        let guard = self.parts.write_lock();
        self.parts.commit_change(
            &guard,
            &who.actor(),
            &eakte_catalog::Change::DispositionProposed {
                batch: batch.clone(),
            },
        )?;
        info!(batch = %batch.id, akten = batch.items.len(), "disposition proposed");
        Ok(batch)
    }

    /// Approves a batch: the second sign-off, by another records manager than the proposer.
    pub fn approve_disposition(&self, who: &Principal, id: BatchId) -> Result<Batch, ServiceError> {
        self.require(who, Right::ManageRetention)?;
        let batch = self.existing_batch(who, id)?;
        if batch.proposed.by == who.user {
            return Err(ServiceError::Refused(
                eakte_catalog::Refusal::SameApprover {
                    id,
                    user: who.user.clone(),
                },
            ));
        }
        {
            let guard = self.parts.write_lock();
            self.parts.commit_change(
                &guard,
                &who.actor(),
                &eakte_catalog::Change::DispositionApproved {
                    id,
                    approval: Approval {
                        by: who.user.clone(),
                        at: Utc::now(),
                    },
                },
            )?;
        }
        self.existing_batch(who, id)
    }

    /// Every disposition batch.
    pub fn dispositions(&self, who: &Principal) -> Result<Vec<Batch>, ServiceError> {
        self.require(who, Right::ReadDisposition)?;
        Ok(self.parts.catalog.batches()?)
    }

    /// One disposition batch.
    pub fn disposition(&self, who: &Principal, id: BatchId) -> Result<Batch, ServiceError> {
        self.require(who, Right::ReadDisposition)?;
        self.existing_batch(who, id)
    }

    pub(crate) fn existing_batch(
        &self,
        who: &Principal,
        id: BatchId,
    ) -> Result<Batch, ServiceError> {
        match self.parts.catalog.batch(id)? {
            Some(batch) => Ok(batch),
            None => Err(self.hide(
                who,
                Right::ReadDisposition,
                "batch",
                &id.to_string(),
                Hidden::Unknown,
            )),
        }
    }

    /// Destroys what an approved batch may destroy today: Akten whose end action is
    /// destroy (or review, decided by the two sign-offs), offered Akten the archive declined
    /// (unless their rule keeps them then), and offered Akten the archive confirmed taking
    /// over. Each is checked again first — still due, no hold, no extraction running — and
    /// leaves a tombstone; its documents leave the index. The bytes stay on disk until
    /// [`purge_destroyed`] runs with the data directory closed.
    pub fn destroy_approved(
        &self,
        who: &Principal,
        id: BatchId,
    ) -> Result<DestroyReport, ServiceError> {
        self.require(who, Right::ManageRetention)?;
        let today = self.today();
        let batch = self.existing_batch(who, id)?;
        let Some(approval) = batch.approved.clone() else {
            return Err(ServiceError::Refused(eakte_catalog::Refusal::BatchState {
                id,
                why: "it is not approved yet".into(),
            }));
        };
        let mut report = DestroyReport {
            destroyed: Vec::new(),
            waiting: Vec::new(),
        };
        let rules = self.retention_rules(who)?;
        let plan = self.parts.catalog.plan()?;
        // Read once: a hold set while the batch is carried out is caught by the catalog's own
        // check under the write lock, below.
        let holds = self.parts.catalog.try_active_holds()?;
        for item in &batch.items {
            if item.destroyed_at.is_some() {
                continue;
            }
            let outcome = match item.outcome() {
                Ok(outcome) => outcome,
                Err(why) => {
                    report.waiting.push((item.akte, why.to_owned()));
                    continue;
                }
            };
            let Some(akte) = self.parts.catalog.akte(item.akte)? else {
                report.waiting.push((item.akte, "the Akte is gone".into()));
                continue;
            };
            // Checked again now: a hold, an extended rule or a new event may have come since.
            let view = self.view_of(&akte, plan.as_ref(), &rules, &holds, today)?;
            let status = view.state.as_ref().map(|s| s.status);
            let transferred = outcome == "transferred";
            if status != Some(Status::Due) && !(transferred && status == Some(Status::Pending)) {
                report.waiting.push((
                    item.akte,
                    format!(
                        "not due on {today} ({})",
                        status.map_or("no rule", |s| s.as_str())
                    ),
                ));
                continue;
            }
            // The rule in force must still end in what the two sign-offs approved: a rule that
            // now offers to the archive, or keeps what the archive declines, wins.
            let unchanged = view.state.as_ref().is_some_and(|s| {
                s.rule == item.rule
                    && s.action.as_str() == item.action
                    && s.if_declined.map(declined_name) == item.if_declined.as_deref()
            });
            if !unchanged {
                report.waiting.push((
                    item.akte,
                    "its rule changed since the proposal; it stays until the batch is settled"
                        .into(),
                ));
                continue;
            }
            if !view.holds.is_empty() {
                report
                    .waiting
                    .push((item.akte, format!("{} hold(s) cover it", view.holds.len())));
                continue;
            }
            // Under the write lock from here: nothing can be filed into the Akte between the
            // tombstone's list of documents and its journal entry.
            let guard = self.parts.write_lock();
            let dokumente = self.parts.catalog.dokumente_in(Some(akte.id))?;
            if dokumente
                .iter()
                .flat_map(|d| &d.versions)
                .any(|v| v.extraction == Extraction::Pending)
            {
                report
                    .waiting
                    .push((item.akte, "a text extraction is still running".into()));
                continue;
            }
            let tombstone = Tombstone {
                akte: akte.id,
                aktenzeichen: akte.aktenzeichen.clone(),
                plan_code: akte.plan_code.clone(),
                batch: id,
                rule: item.rule.clone(),
                outcome: outcome.to_owned(),
                proposed_by: batch.proposed.by.clone(),
                approved_by: approval.by.clone(),
                destroyed_at: Utc::now(),
                vorgaenge: self
                    .parts
                    .catalog
                    .vorgaenge(akte.id)?
                    .into_iter()
                    .map(|v| v.id)
                    .collect(),
                documents: dokumente
                    .iter()
                    .map(|d| TombstoneDocument {
                        id: d.id,
                        versions: d
                            .versions
                            .iter()
                            .map(|v| TombstoneVersion {
                                blob: v.blob,
                                sha256: v.sha256,
                                len: v.size,
                                rendition: match &v.extraction {
                                    Extraction::Done { rendition, .. } => Some(*rendition),
                                    _ => None,
                                },
                            })
                            .collect(),
                    })
                    .collect(),
            };
            let size = serde_json::to_vec(&tombstone).map_or(usize::MAX, |b| b.len());
            if size > MAX_TOMBSTONE_BYTES {
                report.waiting.push((
                    item.akte,
                    format!(
                        "its tombstone ({size} bytes for {} documents) does not fit one journal entry",
                        tombstone.documents.len()
                    ),
                ));
                continue;
            }
            let committed = self.parts.commit_change(
                &guard,
                &who.actor(),
                &eakte_catalog::Change::AkteDestroyed {
                    tombstone: tombstone.clone(),
                },
            );
            drop(guard);
            match committed {
                Ok(_) => {}
                // The catalog's refusal (a hold set meanwhile): this Akte waits, the rest go on.
                Err(ServiceError::Refused(refusal)) => {
                    report.waiting.push((item.akte, refusal.to_string()));
                    continue;
                }
                Err(e) => return Err(e),
            }
            for dokument in &dokumente {
                self.parts.index.delete_document(dokument.id)?;
            }
            info!(akte = %akte.id, outcome, "Akte destroyed");
            report.destroyed.push(tombstone);
        }
        self.parts.index.commit()?;
        Ok(report)
    }

    /// The tombstone of a destroyed Akte.
    pub fn tombstone(&self, who: &Principal, key: &AkteKey) -> Result<Tombstone, ServiceError> {
        self.require(who, Right::ReadDisposition)?;
        let id = match key {
            AkteKey::Id(id) => Some(*id),
            AkteKey::Aktenzeichen(_) => None,
        };
        let found = match id {
            Some(id) => self.parts.catalog.tombstone(id)?,
            None => self
                .parts
                .catalog
                .tombstones()?
                .into_iter()
                .find(|t| AkteKey::Aktenzeichen(t.aktenzeichen.clone()) == *key),
        };
        found.ok_or_else(|| {
            self.hide(
                who,
                Right::ReadDisposition,
                "akte",
                &key.to_string(),
                Hidden::Unknown,
            )
        })
    }
}

/// The name of what happens to what the archive declines, as batches record it.
fn declined_name(declined: Declined) -> &'static str {
    match declined {
        Declined::Destroy => "destroy",
        Declined::Keep => "keep",
    }
}

/// Removes every byte of destroyed Akten from the data directory `data`, which must not be
/// open: their originals and renditions from the store (unless a live document shares the
/// bytes), their documents from the index segments, the personal payloads of every journal
/// entry that names them, and the catalog's old values (by compacting it). Running it again
/// finds nothing more to do but the compaction.
pub fn purge_destroyed(data: &Path, config: &Config) -> Result<PurgeReport, ServiceError> {
    let catalog_dir = data.join("catalog");
    let mut report = PurgeReport::default();
    let (objects, blobs, documents) = {
        let catalog = Catalog::open(&catalog_dir)?;
        let live: BTreeSet<_> = catalog.referenced_blobs()?.into_iter().collect();
        let mut objects = BTreeSet::new();
        let mut blobs = BTreeSet::new();
        let mut documents = Vec::new();
        for tombstone in catalog.tombstones()? {
            report.akten += 1;
            objects.insert(tombstone.akte.to_string());
            objects.extend(tombstone.vorgaenge.iter().map(ToString::to_string));
            for document in &tombstone.documents {
                report.documents += 1;
                documents.push(document.id);
                objects.insert(document.id.to_string());
                for version in &document.versions {
                    blobs.extend(
                        std::iter::once(version.blob)
                            .chain(version.rendition)
                            .filter(|b| !live.contains(b)),
                    );
                }
            }
        }
        objects.extend(blobs.iter().map(ToString::to_string));
        (objects, blobs, documents)
    };
    report.blobs = blobs.len();
    let store: StorePurge = eakte_store::purge_blobs(&data.join("store"), &blobs)?;
    report.store_segments = store.segments_rewritten;
    report.store_bytes_before = store.bytes_before;
    report.store_bytes_rewritten = store.bytes_rewritten;
    let erased: EraseReport = eakte_journal::erase_payloads(&journal_dir(data), &objects)?;
    report.journal_payloads_erased = erased.payloads_erased;
    report.journal_segments = erased.segments_rewritten;
    report.journal_bytes_rewritten = erased.bytes_rewritten;
    let index_dir = data.join("index");
    if index_dir.is_dir() {
        let index = SearchIndex::open(&index_dir, &config.index)?;
        // Deleted again here: the destruction's own deletes may not have been committed.
        for id in &documents {
            index.delete_document(*id)?;
        }
        report.index_bytes_rewritten = index.purge_deleted()?;
        index.close()?;
    }
    let compacted: CompactReport = Catalog::compact(&catalog_dir)?;
    report.catalog_bytes_before = compacted.bytes_before;
    report.catalog_bytes_rewritten = compacted.bytes_after;
    info!(?report, "destroyed records purged");
    Ok(report)
}
