//! Checks and effects of the records-management changes: holds, disposition batches and the
//! destruction of an Akte. The service decides what is due; these checks make sure that no
//! journal entry, whoever wrote it, destroys without two sign-offs or under a hold.

use std::collections::BTreeSet;

use eakte_types::{AkteId, BatchId, BlobId, DokumentId, HoldId, Sha256Digest, VorgangId};

use super::{Step, Stop};
use crate::catalog::Catalog;
use crate::catalog::store::{self, T, Writes};
use crate::disposition::{Appraisal, Approval, Batch, Hold, HoldScope, Release, Tombstone};
use crate::error::{CatalogError, Refusal};
use crate::records::Dokument;

fn state(id: BatchId, why: impl Into<String>) -> Stop {
    Refusal::BatchState {
        id,
        why: why.into(),
    }
    .into()
}

impl Catalog {
    pub(super) fn hold_set(&self, hold: &Hold, writes: &mut Writes) -> Step<()> {
        if self.hold(hold.id)?.is_some() {
            return Err(Refusal::HoldExists { id: hold.id }.into());
        }
        if hold.reason.trim().is_empty() {
            return Err(Refusal::HoldIncomplete { what: "a reason" }.into());
        }
        if hold.set_by.trim().is_empty() {
            return Err(Refusal::HoldIncomplete { what: "a user" }.into());
        }
        if hold.released.is_some() {
            return Err(Refusal::HoldReleased { id: hold.id }.into());
        }
        match &hold.scope {
            HoldScope::Akte { id } => {
                self.existing_akte(*id)?;
            }
            HoldScope::Vorgang { id } => {
                self.vorgang(*id)?
                    .ok_or(Refusal::UnknownVorgang { id: *id })?;
            }
            HoldScope::Dokument { id } => {
                self.dokument(*id)?
                    .ok_or(Refusal::UnknownDokument { id: *id })?;
            }
            HoldScope::Query { query, documents } => {
                if query.trim().is_empty() || documents.is_empty() {
                    return Err(Refusal::HoldIncomplete {
                        what: "a query that matches documents",
                    }
                    .into());
                }
                for id in documents {
                    self.dokument(*id)?
                        .ok_or(Refusal::UnknownDokument { id: *id })?;
                }
            }
        }
        writes.put(
            T::Holds,
            store::id_key(hold.id),
            store::encode(hold, "hold")?,
        );
        Ok(())
    }

    pub(super) fn hold_released(
        &self,
        id: HoldId,
        release: &Release,
        writes: &mut Writes,
    ) -> Step<()> {
        let mut hold = self.hold(id)?.ok_or(Refusal::UnknownHold { id })?;
        if !hold.is_active() {
            return Err(Refusal::HoldReleased { id }.into());
        }
        if release.by.trim().is_empty() {
            return Err(Refusal::HoldIncomplete { what: "a user" }.into());
        }
        hold.released = Some(release.clone());
        writes.put(T::Holds, store::id_key(id), store::encode(&hold, "hold")?);
        Ok(())
    }

    pub(super) fn disposition_proposed(&self, batch: &Batch, writes: &mut Writes) -> Step<()> {
        let id = batch.id;
        if self.batch(id)?.is_some() {
            return Err(Refusal::BatchExists { id }.into());
        }
        if batch.items.is_empty() {
            return Err(state(id, "a batch needs at least one Akte"));
        }
        if batch.approved.is_some()
            || batch.appraisal_blob.is_some()
            || batch.transfer_sha256.is_some()
            || batch.receipt_blob.is_some()
        {
            return Err(state(id, "a new batch is neither approved nor begun"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for item in &batch.items {
            let akte = self.existing_akte(item.akte)?;
            if akte.aktenzeichen != item.aktenzeichen {
                return Err(state(
                    id,
                    format!("Akte {} has another Aktenzeichen", item.akte),
                ));
            }
            if !seen.insert(item.akte) {
                return Err(state(id, format!("Akte {} is listed twice", item.akte)));
            }
            if let Some(other) = self.batch_of(item.akte)? {
                return Err(Refusal::AkteInBatch {
                    akte: item.akte,
                    batch: other,
                }
                .into());
            }
            if !matches!(
                item.action.as_str(),
                "offer_to_archive" | "destroy" | "review"
            ) {
                return Err(state(
                    id,
                    format!("{} is no disposition action", item.action),
                ));
            }
            if item.appraisal.is_some() || item.archived.is_some() || item.destroyed_at.is_some() {
                return Err(state(id, "a new batch's items are not begun"));
            }
            writes.put(
                T::BatchAkten,
                store::id_key(item.akte),
                store::encode(&id, "batch id")?,
            );
        }
        writes.put(
            T::Batches,
            store::id_key(id),
            store::encode(batch, "batch")?,
        );
        Ok(())
    }

    fn existing_batch(&self, id: BatchId) -> Step<Batch> {
        Ok(self.batch(id)?.ok_or(Refusal::UnknownBatch { id })?)
    }

    fn approved_batch(&self, id: BatchId) -> Step<(Batch, Approval)> {
        let batch = self.existing_batch(id)?;
        match batch.approved.clone() {
            Some(approval) => Ok((batch, approval)),
            None => Err(state(id, "it is not approved yet")),
        }
    }

    fn put_batch(batch: &Batch, writes: &mut Writes) -> Result<(), CatalogError> {
        writes.put(
            T::Batches,
            store::id_key(batch.id),
            store::encode(batch, "batch")?,
        );
        Ok(())
    }

    pub(super) fn disposition_approved(
        &self,
        id: BatchId,
        approval: &Approval,
        writes: &mut Writes,
    ) -> Step<()> {
        let mut batch = self.existing_batch(id)?;
        if batch.approved.is_some() {
            return Err(state(id, "it is approved already"));
        }
        if approval.by.trim().is_empty() {
            return Err(state(id, "an approval needs a user"));
        }
        if approval.by == batch.proposed.by {
            return Err(Refusal::SameApprover {
                id,
                user: approval.by.clone(),
            }
            .into());
        }
        batch.approved = Some(approval.clone());
        Self::put_batch(&batch, writes)?;
        Ok(())
    }

    pub(super) fn appraisal_recorded(
        &self,
        id: BatchId,
        blob: BlobId,
        decisions: &[(AkteId, Appraisal)],
        writes: &mut Writes,
    ) -> Step<()> {
        let (mut batch, _) = self.approved_batch(id)?;
        if batch.appraisal_blob.is_some() {
            return Err(state(id, "its appraisal was imported already"));
        }
        for (akte, appraisal) in decisions {
            let Some(item) = batch.items.iter_mut().find(|i| i.akte == *akte) else {
                return Err(state(id, format!("Akte {akte} is not in the batch")));
            };
            if item.action != "offer_to_archive" {
                return Err(state(id, format!("Akte {akte} was not offered")));
            }
            item.appraisal = Some(*appraisal);
        }
        if let Some(item) = batch
            .items
            .iter()
            .find(|i| i.action == "offer_to_archive" && i.appraisal.is_none())
        {
            return Err(state(
                id,
                format!("the appraisal does not decide on Akte {}", item.akte),
            ));
        }
        batch.appraisal_blob = Some(blob);
        Self::put_batch(&batch, writes)?;
        Ok(())
    }

    pub(super) fn transfer_recorded(
        &self,
        id: BatchId,
        sha256: Sha256Digest,
        writes: &mut Writes,
    ) -> Step<()> {
        let (mut batch, _) = self.approved_batch(id)?;
        if batch.appraisal_blob.is_none() {
            return Err(state(id, "its appraisal has not been imported"));
        }
        if batch.receipt_blob.is_some() {
            return Err(state(id, "its receipt was imported already"));
        }
        batch.transfer_sha256 = Some(sha256);
        Self::put_batch(&batch, writes)?;
        Ok(())
    }

    pub(super) fn receipt_recorded(
        &self,
        id: BatchId,
        blob: BlobId,
        archived: &[(AkteId, bool)],
        writes: &mut Writes,
    ) -> Step<()> {
        let (mut batch, _) = self.approved_batch(id)?;
        if batch.transfer_sha256.is_none() {
            return Err(state(id, "its transfer has not been exported"));
        }
        if batch.receipt_blob.is_some() {
            return Err(state(id, "its receipt was imported already"));
        }
        for (akte, taken) in archived {
            let Some(item) = batch.items.iter_mut().find(|i| i.akte == *akte) else {
                return Err(state(id, format!("Akte {akte} is not in the batch")));
            };
            if item.appraisal != Some(Appraisal::A) {
                return Err(state(id, format!("Akte {akte} was not to be archived")));
            }
            item.archived = Some(*taken);
        }
        batch.receipt_blob = Some(blob);
        Self::put_batch(&batch, writes)?;
        Ok(())
    }

    pub(super) fn akte_destroyed(&self, tombstone: &Tombstone, writes: &mut Writes) -> Step<()> {
        let id = tombstone.akte;
        let akte = self.existing_akte(id)?;
        let refuse = |why: &str| -> Stop {
            Refusal::NotDestroyable {
                akte: id,
                why: why.to_owned(),
            }
            .into()
        };
        let (mut batch, approval) = self.approved_batch(tombstone.batch)?;
        if self.batch_of(id)? != Some(batch.id) {
            return Err(refuse("it is not in this batch"));
        }
        if tombstone.approved_by != approval.by || tombstone.proposed_by != batch.proposed.by {
            return Err(refuse("the tombstone names other sign-offs than the batch"));
        }
        if tombstone.aktenzeichen != akte.aktenzeichen || tombstone.plan_code != akte.plan_code {
            return Err(refuse("the tombstone names another Akte"));
        }
        let item = batch
            .items
            .iter_mut()
            .find(|i| i.akte == id)
            .ok_or_else(|| refuse("it is not in this batch"))?;
        let outcome = item.outcome().map_err(&refuse)?;
        if tombstone.outcome != outcome || tombstone.rule != item.rule {
            return Err(refuse(
                "the tombstone's outcome or rule does not match the batch",
            ));
        }
        let vorgaenge: BTreeSet<VorgangId> =
            self.vorgaenge(id)?.into_iter().map(|v| v.id).collect();
        let dokumente = self.dokumente_in(Some(id))?;
        if let Some(hold) = self.hold_covering(id, &vorgaenge, &dokumente)? {
            return Err(refuse(&format!("hold {hold} covers it")));
        }
        // A version whose text is still being extracted would get a rendition after the
        // tombstone was made, which no purge would know of.
        if dokumente
            .iter()
            .flat_map(|d| &d.versions)
            .any(|v| v.extraction == crate::records::Extraction::Pending)
        {
            return Err(refuse("a text extraction is still running"));
        }
        // The tombstone must list exactly what is removed, every version's original included.
        let found: BTreeSet<(DokumentId, Vec<BlobId>)> = dokumente
            .iter()
            .map(|d| (d.id, d.versions.iter().map(|v| v.blob).collect()))
            .collect();
        let listed: BTreeSet<(DokumentId, Vec<BlobId>)> = tombstone
            .documents
            .iter()
            .map(|d| (d.id, d.versions.iter().map(|v| v.blob).collect()))
            .collect();
        if found != listed || vorgaenge != tombstone.vorgaenge.iter().copied().collect() {
            return Err(refuse(
                "the tombstone does not list its Vorgänge, documents and versions",
            ));
        }
        item.destroyed_at = Some(tombstone.destroyed_at);
        Self::put_batch(&batch, writes)?;
        Self::remove_akte_records(id, &vorgaenge, &dokumente, writes);
        writes.remove(T::BatchAkten, store::id_key(id));
        writes.put(
            T::Tombstones,
            store::id_key(id),
            store::encode(tombstone, "tombstone")?,
        );
        Ok(())
    }

    /// The first active hold that covers the Akte `id`, whose Vorgänge and documents are
    /// given: on the Akte, one of its Vorgänge or documents, or a query that matched one of them.
    fn hold_covering(
        &self,
        id: AkteId,
        vorgaenge: &BTreeSet<VorgangId>,
        dokumente: &[Dokument],
    ) -> Result<Option<HoldId>, CatalogError> {
        let in_akte = |d: &DokumentId| dokumente.iter().any(|own| own.id == *d);
        Ok(self
            .holds()?
            .into_iter()
            .filter(Hold::is_active)
            .find(|hold| match &hold.scope {
                HoldScope::Akte { id: akte } => *akte == id,
                HoldScope::Vorgang { id } => vorgaenge.contains(id),
                HoldScope::Dokument { id } => in_akte(id),
                HoldScope::Query { documents, .. } => documents.iter().any(in_akte),
            })
            .map(|hold| hold.id))
    }

    /// Removes an Akte's rows, its Vorgänge and its documents with their lookup keys; the
    /// Aktenzeichen stays taken.
    fn remove_akte_records(
        id: AkteId,
        vorgaenge: &BTreeSet<VorgangId>,
        dokumente: &[Dokument],
        writes: &mut Writes,
    ) {
        writes.remove(T::Akten, store::id_key(id));
        for vorgang in vorgaenge {
            writes.remove(T::Vorgaenge, store::id_key(vorgang));
            let mut key = store::id_key(id);
            key.extend(store::id_key(vorgang));
            writes.remove(T::AkteVorgaenge, key);
        }
        for dokument in dokumente {
            writes.remove(T::Dokumente, store::id_key(dokument.id));
            let mut location = store::location_key(Some(id));
            location.extend(store::id_key(dokument.id));
            writes.remove(T::LocationDocs, location);
            for version in &dokument.versions {
                let mut key = store::sha256_prefix(Some(id), &version.sha256);
                key.extend(store::id_key(dokument.id));
                writes.remove(T::Sha256Docs, key);
                writes.remove(T::Pending, store::pending_key(dokument.id, version.number));
            }
        }
    }
}
