//! Checking a change against the catalog and working out its effects, in one step, so that what
//! `check` accepts is exactly what `apply` writes.

use std::sync::Arc;

use chrono::NaiveDate;
use eakte_types::{AkteId, AkteStatus, DokumentId, VorgangId};

use super::store::{self, T, Writes};
use super::{Catalog, StoredPlan};
use crate::change::Change;
use crate::error::{CatalogError, Refusal};
use crate::plan::FilePlan;
use crate::records::{Akte, Dokument, Extraction, Version, Vorgang};

mod disposition;

/// The effects of an accepted change, not yet written.
pub(super) struct Prepared {
    pub(super) writes: Writes,
    /// The plan that becomes current once the writes are committed.
    pub(super) new_plan: Option<Arc<FilePlan>>,
}

/// Why preparing stopped: a refusal, or a failure to read the catalog. Both pass through `?`
/// inside this module only; the public API keeps them apart.
pub(super) enum Stop {
    Refused(Refusal),
    Failed(CatalogError),
}

impl From<Refusal> for Stop {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl From<CatalogError> for Stop {
    fn from(error: CatalogError) -> Self {
        Self::Failed(error)
    }
}

pub(super) type Step<V> = Result<V, Stop>;

fn is_domain_date_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.".contains(&b))
}

impl Catalog {
    /// Checks `change` as journal entry `seq` and works out what it writes.
    pub(super) fn prepare(
        &self,
        seq: u64,
        change: &Change,
    ) -> Result<Result<Prepared, Refusal>, CatalogError> {
        let mut prepared = Prepared {
            writes: Writes::new(),
            new_plan: None,
        };
        let outcome = match change {
            Change::PlanImported { blob, plan } => {
                self.plan_imported(seq, *blob, plan, &mut prepared)
            }
            Change::AkteCreated { akte } => self.akte_created(akte, &mut prepared.writes),
            Change::AkteClosed { id, closed_on } => {
                self.akte_closed(*id, *closed_on, &mut prepared.writes)
            }
            Change::AkteDomainDate { id, name, date } => {
                self.akte_domain_date(*id, name, *date, &mut prepared.writes)
            }
            Change::VorgangCreated { vorgang } => {
                self.vorgang_created(vorgang, &mut prepared.writes)
            }
            Change::DokumentFiled { dokument } => {
                self.dokument_filed(dokument, &mut prepared.writes)
            }
            Change::DokumentAssigned {
                id,
                akte_id,
                vorgang_id,
            } => self.dokument_assigned(*id, *akte_id, *vorgang_id, &mut prepared.writes),
            Change::VersionAdded { id, version } => {
                self.version_added(*id, version, &mut prepared.writes)
            }
            Change::ExtractionRecorded {
                id,
                version,
                extraction,
            } => self.extraction_recorded(*id, *version, extraction, &mut prepared.writes),
            Change::RulesAdopted { blob } => {
                prepared.writes.put(
                    T::RuleSets,
                    seq.to_be_bytes(),
                    store::encode(blob, "rule set")?,
                );
                Ok(())
            }
            Change::HoldSet { hold } => self.hold_set(hold, &mut prepared.writes),
            Change::HoldReleased { id, release } => {
                self.hold_released(*id, release, &mut prepared.writes)
            }
            Change::DispositionProposed { batch } => {
                self.disposition_proposed(batch, &mut prepared.writes)
            }
            Change::DispositionApproved { id, approval } => {
                self.disposition_approved(*id, approval, &mut prepared.writes)
            }
            Change::AppraisalRecorded {
                id,
                blob,
                decisions,
            } => self.appraisal_recorded(*id, *blob, decisions, &mut prepared.writes),
            Change::TransferRecorded { id, sha256 } => {
                self.transfer_recorded(*id, *sha256, &mut prepared.writes)
            }
            Change::ReceiptRecorded { id, blob, archived } => {
                self.receipt_recorded(*id, *blob, archived, &mut prepared.writes)
            }
            Change::AkteDestroyed { tombstone } => {
                self.akte_destroyed(tombstone, &mut prepared.writes)
            }
        };
        match outcome {
            Ok(()) => Ok(Ok(prepared)),
            Err(Stop::Refused(refusal)) => Ok(Err(refusal)),
            Err(Stop::Failed(error)) => Err(error),
        }
    }

    fn plan_imported(
        &self,
        seq: u64,
        blob: eakte_types::BlobId,
        plan: &FilePlan,
        prepared: &mut Prepared,
    ) -> Step<()> {
        plan.validate().map_err(Refusal::InvalidPlan)?;
        // Every code an Akte was ever created under has a counter; a new plan must keep them
        // all, or those Akten would hang under no unit.
        for entry in self.tree(T::Counters).iter() {
            let (key, _) = entry.map_err(CatalogError::from)?;
            let (code, _) = store::decode_counter_key(&key)?;
            if plan.find(&code).is_none() {
                return Err(Refusal::PlanDropsCodeInUse { code }.into());
            }
        }
        let stored = StoredPlan {
            blob,
            plan: plan.clone(),
        };
        prepared
            .writes
            .put(T::Plans, seq.to_be_bytes(), store::encode(&stored, "plan")?);
        prepared.new_plan = Some(Arc::new(stored.plan));
        Ok(())
    }

    fn akte_created(&self, akte: &Akte, writes: &mut Writes) -> Step<()> {
        let plan = self.current_plan().ok_or(Refusal::NoPlan)?;
        if plan.find(&akte.plan_code).is_none() {
            return Err(Refusal::UnknownPlanCode {
                code: akte.plan_code.clone(),
            }
            .into());
        }
        let az = &akte.aktenzeichen;
        if *az.plan_code() != akte.plan_code {
            return Err(Refusal::AktenzeichenMismatch {
                aktenzeichen: az.to_string(),
                plan_code: akte.plan_code.clone(),
            }
            .into());
        }
        if akte.status != AkteStatus::Open || akte.closed_on.is_some() {
            return Err(Refusal::AkteNotNew { id: akte.id }.into());
        }
        if let Some(name) = akte.domain_dates.keys().find(|n| !is_domain_date_name(n)) {
            return Err(Refusal::BadDomainDateName { name: name.clone() }.into());
        }
        if self.akte(akte.id)?.is_some() {
            return Err(Refusal::AkteExists { id: akte.id }.into());
        }
        let az_key = store::aktenzeichen_key(az);
        if self
            .tree(T::Aktenzeichen)
            .contains_key(&az_key)
            .map_err(CatalogError::from)?
        {
            return Err(Refusal::AktenzeichenUsed {
                aktenzeichen: az.to_string(),
            }
            .into());
        }
        let highest = self.counter(az.plan_code(), az.year())?;
        writes.put(
            T::Akten,
            store::id_key(akte.id),
            store::encode(akte, "Akte")?,
        );
        writes.put(T::Aktenzeichen, az_key, store::encode(&akte.id, "Akte id")?);
        writes.put(
            T::Counters,
            store::counter_key(az.plan_code(), az.year()),
            store::encode(&highest.max(az.number()), "counter")?,
        );
        Ok(())
    }

    /// The Akte, which must exist (and not have been destroyed).
    fn existing_akte(&self, id: AkteId) -> Step<Akte> {
        if let Some(akte) = self.akte(id)? {
            return Ok(akte);
        }
        if self.tombstone(id)?.is_some() {
            return Err(Refusal::AkteDestroyed { id }.into());
        }
        Err(Refusal::UnknownAkte { id }.into())
    }

    /// The Akte, which must exist and be open.
    /// The Akte, which must exist, be open, and be in no disposition batch: what two records
    /// managers signed off (and an archive may have received) does not change afterwards.
    fn open_akte(&self, id: AkteId) -> Step<Akte> {
        let akte = self.existing_akte(id)?;
        if akte.status == AkteStatus::Closed {
            return Err(Refusal::AkteClosed { id }.into());
        }
        if let Some(batch) = self.batch_of(id)? {
            return Err(Refusal::AkteInBatch { akte: id, batch }.into());
        }
        Ok(akte)
    }

    fn akte_closed(&self, id: AkteId, closed_on: NaiveDate, writes: &mut Writes) -> Step<()> {
        let mut akte = self.open_akte(id)?;
        let created = akte.created.date_naive();
        if closed_on < created {
            return Err(Refusal::CloseBeforeCreation {
                id,
                closed_on,
                created,
            }
            .into());
        }
        // A close date before the last filing would start retention before the Akte's newest
        // paper came in: shorter retention.
        let last_filed = self
            .dokumente_in(Some(id))?
            .iter()
            .flat_map(|d| &d.versions)
            .map(|v| v.filed.date_naive())
            .max();
        if let Some(filed) = last_filed.filter(|filed| closed_on < *filed) {
            return Err(Refusal::CloseBeforeFiling {
                id,
                closed_on,
                filed,
            }
            .into());
        }
        akte.status = AkteStatus::Closed;
        akte.closed_on = Some(closed_on);
        writes.put(T::Akten, store::id_key(id), store::encode(&akte, "Akte")?);
        Ok(())
    }

    fn akte_domain_date(
        &self,
        id: AkteId,
        name: &str,
        date: NaiveDate,
        writes: &mut Writes,
    ) -> Step<()> {
        // Domain dates (a person moved away, died) typically arrive after the Akte was
        // closed, and retention runs from them, so a closed Akte still takes them.
        let mut akte = self.existing_akte(id)?;
        if !is_domain_date_name(name) {
            return Err(Refusal::BadDomainDateName {
                name: name.to_owned(),
            }
            .into());
        }
        // Retention runs from the latest date of an event; an earlier one could shorten it.
        if let Some(&recorded) = akte.domain_dates.get(name)
            && date < recorded
        {
            return Err(Refusal::EventMovedEarlier {
                id,
                name: name.to_owned(),
                recorded,
                date,
            }
            .into());
        }
        akte.domain_dates.insert(name.to_owned(), date);
        writes.put(T::Akten, store::id_key(id), store::encode(&akte, "Akte")?);
        Ok(())
    }

    fn vorgang_created(&self, vorgang: &Vorgang, writes: &mut Writes) -> Step<()> {
        if self.vorgang(vorgang.id)?.is_some() {
            return Err(Refusal::VorgangExists { id: vorgang.id }.into());
        }
        self.open_akte(vorgang.akte_id)?;
        writes.put(
            T::Vorgaenge,
            store::id_key(vorgang.id),
            store::encode(vorgang, "Vorgang")?,
        );
        let mut index_key = store::id_key(vorgang.akte_id);
        index_key.extend(store::id_key(vorgang.id));
        writes.put(T::AkteVorgaenge, index_key, b"");
        Ok(())
    }

    fn dokument_filed(&self, dokument: &Dokument, writes: &mut Writes) -> Step<()> {
        let id = dokument.id;
        if self.dokument(id)?.is_some() {
            return Err(Refusal::DokumentExists { id }.into());
        }
        let [first] = dokument.versions.as_slice() else {
            return Err(Refusal::NotFirstVersion { id }.into());
        };
        if first.number != 1 || first.extraction != Extraction::Pending {
            return Err(Refusal::NotFirstVersion { id }.into());
        }
        if let Some(akte) = dokument.akte_id {
            self.open_akte(akte)?;
        }
        if let Some(vorgang_id) = dokument.vorgang_id {
            self.vorgang_in(vorgang_id, dokument.akte_id)?;
        }
        writes.put(
            T::Dokumente,
            store::id_key(id),
            store::encode(dokument, "document")?,
        );
        let mut location = store::location_key(dokument.akte_id);
        location.extend(store::id_key(id));
        writes.put(T::LocationDocs, location, b"");
        index_version(dokument, first, writes);
        Ok(())
    }

    fn vorgang_in(&self, vorgang_id: VorgangId, akte: Option<AkteId>) -> Step<()> {
        let vorgang = self
            .vorgang(vorgang_id)?
            .ok_or(Refusal::UnknownVorgang { id: vorgang_id })?;
        if Some(vorgang.akte_id) != akte {
            return Err(Refusal::VorgangNotInAkte {
                vorgang: vorgang_id,
            }
            .into());
        }
        Ok(())
    }

    fn dokument_assigned(
        &self,
        id: DokumentId,
        akte_id: AkteId,
        vorgang_id: Option<VorgangId>,
        writes: &mut Writes,
    ) -> Step<()> {
        let mut dokument = self.dokument(id)?.ok_or(Refusal::UnknownDokument { id })?;
        if dokument.akte_id.is_some() {
            return Err(Refusal::NotInInbox { id }.into());
        }
        self.open_akte(akte_id)?;
        if let Some(vorgang_id) = vorgang_id {
            self.vorgang_in(vorgang_id, Some(akte_id))?;
        }
        // The document moves from the inbox's lists to the Akte's.
        let mut old_location = store::location_key(None);
        old_location.extend(store::id_key(id));
        writes.remove(T::LocationDocs, old_location);
        for version in &dokument.versions {
            let mut key = store::sha256_prefix(None, &version.sha256);
            key.extend(store::id_key(id));
            writes.remove(T::Sha256Docs, key);
        }
        dokument.akte_id = Some(akte_id);
        dokument.vorgang_id = vorgang_id;
        let mut location = store::location_key(Some(akte_id));
        location.extend(store::id_key(id));
        writes.put(T::LocationDocs, location, b"");
        for version in &dokument.versions {
            let mut key = store::sha256_prefix(Some(akte_id), &version.sha256);
            key.extend(store::id_key(id));
            writes.put(T::Sha256Docs, key, b"");
        }
        writes.put(
            T::Dokumente,
            store::id_key(id),
            store::encode(&dokument, "document")?,
        );
        Ok(())
    }

    fn version_added(&self, id: DokumentId, version: &Version, writes: &mut Writes) -> Step<()> {
        let mut dokument = self.dokument(id)?.ok_or(Refusal::UnknownDokument { id })?;
        if let Some(akte) = dokument.akte_id {
            self.open_akte(akte)?;
        }
        let last = dokument
            .versions
            .iter()
            .map(|v| v.number)
            .max()
            .unwrap_or(0);
        match last.checked_add(1) {
            Some(expected) if expected == version.number => {}
            expected => {
                return Err(Refusal::VersionNotNext {
                    id,
                    expected: expected.unwrap_or(last),
                    found: version.number,
                }
                .into());
            }
        }
        index_version(&dokument, version, writes);
        dokument.versions.push(version.clone());
        writes.put(
            T::Dokumente,
            store::id_key(id),
            store::encode(&dokument, "document")?,
        );
        Ok(())
    }

    fn extraction_recorded(
        &self,
        id: DokumentId,
        number: u32,
        extraction: &Extraction,
        writes: &mut Writes,
    ) -> Step<()> {
        let mut dokument = self.dokument(id)?.ok_or(Refusal::UnknownDokument { id })?;
        let version = dokument
            .versions
            .iter_mut()
            .find(|v| v.number == number)
            .ok_or(Refusal::UnknownVersion {
                id,
                version: number,
            })?;
        version.extraction = extraction.clone();
        // Recording `Pending` again queues the version for another extraction.
        let key = store::pending_key(id, number);
        if *extraction == Extraction::Pending {
            writes.put(T::Pending, key, b"");
        } else {
            writes.remove(T::Pending, key);
        }
        writes.put(
            T::Dokumente,
            store::id_key(id),
            store::encode(&dokument, "document")?,
        );
        Ok(())
    }
}

/// The index entries of one version: its SHA-256 where the document lies, and its pending
/// extraction.
fn index_version(dokument: &Dokument, version: &Version, writes: &mut Writes) {
    let mut key = store::sha256_prefix(dokument.akte_id, &version.sha256);
    key.extend(store::id_key(dokument.id));
    writes.put(T::Sha256Docs, key, b"");
    if version.extraction == Extraction::Pending {
        writes.put(
            T::Pending,
            store::pending_key(dokument.id, version.number),
            b"",
        );
    }
}
