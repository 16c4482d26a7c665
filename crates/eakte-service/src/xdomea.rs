//! The xdomea messages of a disposition batch: the offer (0501) and the transfer (0503) go out,
//! the archive's appraisal (0502) and receipt (0506) come in. The messages themselves are
//! built and read by `eakte_xdomea`; this module maps the records onto them, checks what comes
//! back against the batch, and journals every step.

use std::collections::BTreeMap;

use chrono::Utc;
use eakte_catalog::{Akte, Appraisal, Batch, Change, Dokument, FilePlan};
use eakte_journal::{NewEvent, Outcome, action};
use eakte_store::BlobStore;
use eakte_types::{AkteId, BatchId, Confidentiality, Sha256Digest};
use eakte_xdomea::{
    Decision, Header, OfferedAkte, OfferedDocument, OfferedVersion, OfferedVorgang, Package, Party,
    PrimaryFile,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::access::{Principal, Right};
use crate::{Service, ServiceError};

/// The most original bytes one transfer (0503) carries: it is built in memory.
pub const MAX_TRANSFER_BYTES: u64 = 2 << 30;

/// The largest xdomea message accepted for import.
pub const MAX_MESSAGE_BYTES: u64 = eakte_xdomea::limits::MAX_INPUT_BYTES;

fn refused(id: BatchId, why: impl Into<String>) -> ServiceError {
    ServiceError::Refused(eakte_catalog::Refusal::BatchState {
        id,
        why: why.into(),
    })
}

/// An answer of the archive must carry the batch's process id.
fn same_process(id: BatchId, process: Uuid, what: &str) -> Result<(), ServiceError> {
    if process == *id.as_uuid() {
        return Ok(());
    }
    Err(ServiceError::input(
        "xdomea_invalid",
        format!("the {what} belongs to process {process}, not to batch {id}"),
    ))
}

fn xdomea_error(e: eakte_xdomea::XdomeaError) -> ServiceError {
    ServiceError::input("xdomea_invalid", format!("the xdomea message: {e}"))
}

impl Service {
    fn header(&self, batch: &Batch) -> Header {
        let archive = &self.parts.config.archive;
        Header {
            process_id: *batch.id.as_uuid(),
            created: Utc::now(),
            sender: Party {
                agency_code: archive.agency_code.clone(),
                name: archive.agency_name.clone(),
                unit: None,
            },
            recipient: Party {
                agency_code: archive.archive_code.clone(),
                name: archive.archive_name.clone(),
                unit: None,
            },
            product: "eakte".into(),
            product_version: env!("CARGO_PKG_VERSION").into(),
        }
    }

    fn approved_batch(&self, who: &Principal, id: BatchId) -> Result<Batch, ServiceError> {
        self.require(who, Right::ManageRetention)?;
        let batch = self.existing_batch(who, id)?;
        if batch.approved.is_none() {
            return Err(refused(id, "it is not approved yet"));
        }
        Ok(batch)
    }

    /// The offer (0501) of a batch's Akten whose end action is an offer: metadata only.
    pub fn xdomea_offer(&self, who: &Principal, id: BatchId) -> Result<Package, ServiceError> {
        let batch = self.approved_batch(who, id)?;
        let offered: Vec<AkteId> = batch
            .items
            .iter()
            .filter(|i| i.action == "offer_to_archive" && i.destroyed_at.is_none())
            .map(|i| i.akte)
            .collect();
        if offered.is_empty() {
            return Err(refused(id, "it offers nothing to the archive"));
        }
        self.refuse_held(id, &offered)?;
        let akten = self.offered_akten(&batch, &offered)?;
        let package =
            eakte_xdomea::offer_0501(&self.header(&batch), &akten).map_err(xdomea_error)?;
        self.journal_message(who, &batch, "0501", &package)?;
        Ok(package)
    }

    /// Imports the archive's appraisal (0502): for every offered Akte, A (archive) or V.
    pub fn import_appraisal(
        &self,
        who: &Principal,
        id: BatchId,
        bytes: &[u8],
    ) -> Result<Batch, ServiceError> {
        let batch = self.approved_batch(who, id)?;
        let appraisal = eakte_xdomea::read_appraisal_0502(bytes).map_err(xdomea_error)?;
        same_process(id, appraisal.process_id, "appraisal")?;
        let offered: BTreeMap<Uuid, AkteId> = batch
            .items
            .iter()
            .filter(|i| i.action == "offer_to_archive")
            .map(|i| (*i.akte.as_uuid(), i.akte))
            .collect();
        // Decisions on Vorgänge or documents inside an offered Akte are not taken apart: the
        // Akte is disposed of as a whole, so only decisions on the Akten count.
        let decisions: Vec<(AkteId, Appraisal)> = appraisal
            .decisions
            .iter()
            .filter_map(|(object, decision)| {
                offered.get(object).map(|akte| {
                    let value = match decision {
                        Decision::Archive => Appraisal::A,
                        Decision::Destroy => Appraisal::V,
                    };
                    (*akte, value)
                })
            })
            .collect();
        self.record_answer(who, id, bytes, |blob| Change::AppraisalRecorded {
            id,
            blob,
            decisions,
        })
    }

    /// The transfer (0503) of the Akten the archive appraised A, with every version's original
    /// and its SHA-256.
    pub fn xdomea_transfer(&self, who: &Principal, id: BatchId) -> Result<Package, ServiceError> {
        let batch = self.approved_batch(who, id)?;
        if batch.appraisal_blob.is_none() {
            return Err(refused(
                id,
                "the archive's appraisal (0502) has not been imported",
            ));
        }
        let wanted: Vec<AkteId> = batch
            .items
            .iter()
            .filter(|i| i.appraisal == Some(Appraisal::A) && i.destroyed_at.is_none())
            .map(|i| i.akte)
            .collect();
        if wanted.is_empty() {
            return Err(refused(id, "the archive wants none of its Akten"));
        }
        self.refuse_held(id, &wanted)?;
        let blobs = self.blobs_of(&wanted)?;
        let total: u64 = blobs.values().map(|(_, size)| size).sum();
        if total > MAX_TRANSFER_BYTES {
            return Err(refused(
                id,
                format!(
                    "its originals have {total} bytes; a transfer holds at most {MAX_TRANSFER_BYTES} (split the batch)"
                ),
            ));
        }
        let mut akten = self.offered_akten(&batch, &wanted)?;
        for akte in &mut akten {
            akte.archival_value = eakte_xdomea::ArchivalValue::A;
        }
        let store = &self.parts.store;
        let package = eakte_xdomea::transfer_0503(&self.header(&batch), &akten, &mut |file| {
            let (blob, _) = blobs
                .get(&file.file_name)
                .ok_or_else(|| format!("no stored original for {}", file.file_name))?;
            store.get_bytes(blob).map_err(|e| e.to_string())
        })
        .map_err(xdomea_error)?;
        let sha256 = Sha256Digest::from_bytes(Sha256::digest(&package.zip).into());
        {
            let guard = self.parts.write_lock();
            self.parts.commit_change(
                &guard,
                &who.actor(),
                &Change::TransferRecorded { id, sha256 },
            )?;
        }
        self.journal_message(who, &batch, "0503", &package)?;
        Ok(package)
    }

    /// Imports the archive's receipt (0506): what it took over may then be destroyed here.
    pub fn import_receipt(
        &self,
        who: &Principal,
        id: BatchId,
        bytes: &[u8],
    ) -> Result<Batch, ServiceError> {
        let batch = self.approved_batch(who, id)?;
        let receipt = eakte_xdomea::read_receipt_0506(bytes).map_err(xdomea_error)?;
        same_process(id, receipt.process_id, "receipt")?;
        let transferred: BTreeMap<Uuid, AkteId> = batch
            .items
            .iter()
            .filter(|i| i.appraisal == Some(Appraisal::A))
            .map(|i| (*i.akte.as_uuid(), i.akte))
            .collect();
        let archived: Vec<(AkteId, bool)> = receipt
            .results
            .iter()
            .filter_map(|r| transferred.get(&r.id).map(|akte| (*akte, r.success)))
            .collect();
        self.record_answer(who, id, bytes, |blob| Change::ReceiptRecorded {
            id,
            blob,
            archived,
        })
    }

    /// Keeps an answer of the archive in the store and journals what it decided.
    fn record_answer(
        &self,
        who: &Principal,
        id: BatchId,
        bytes: &[u8],
        change: impl FnOnce(eakte_types::BlobId) -> Change,
    ) -> Result<Batch, ServiceError> {
        let put = self.parts.store.put(&mut &bytes[..])?;
        {
            let guard = self.parts.write_lock();
            self.parts
                .commit_change(&guard, &who.actor(), &change(put.id))?;
        }
        self.existing_batch(who, id)
    }

    fn journal_message(
        &self,
        who: &Principal,
        batch: &Batch,
        kind: &str,
        package: &Package,
    ) -> Result<(), ServiceError> {
        let sha256 = hex::encode(Sha256::digest(&package.zip));
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::XDOMEA_EXPORTED, Outcome::Ok)
                .object("batch", batch.id.to_string())
                .detail("message", kind)
                .detail("file", package.file_name.clone())
                .detail("sha256", sha256),
        )?;
        Ok(())
    }

    /// Refuses when a hold covers one of the Akten: holds block every step of disposition but
    /// restriction, the archive exchange included.
    fn refuse_held(&self, id: BatchId, akten: &[AkteId]) -> Result<(), ServiceError> {
        let holds = self.parts.catalog.try_active_holds()?;
        if let Some((akte, held)) = akten
            .iter()
            .find_map(|a| holds.get(a).filter(|h| !h.is_empty()).map(|h| (a, h)))
        {
            return Err(refused(
                id,
                format!("hold {} covers Akte {akte}; release it first", held[0]),
            ));
        }
        Ok(())
    }

    /// The Akten as xdomea describes them, with their Vorgänge and documents.
    fn offered_akten(
        &self,
        batch: &Batch,
        ids: &[AkteId],
    ) -> Result<Vec<OfferedAkte>, ServiceError> {
        let plan = self.parts.catalog.plan()?;
        let rules = self.adopted_rules()?;
        let mut out = Vec::new();
        for id in ids {
            let akte = self.parts.akte(&crate::AkteKey::Id(*id))?;
            let item = batch.items.iter().find(|i| i.akte == *id);
            let retention_years = item
                .and_then(|i| rules.as_ref().and_then(|r| r.get(&i.rule)))
                .and_then(retention_years);
            out.push(self.offered(
                &akte,
                plan.as_ref(),
                retention_years,
                item.map(|i| i.due_on),
            )?);
        }
        Ok(out)
    }

    fn offered(
        &self,
        akte: &Akte,
        plan: Option<&FilePlan>,
        retention_years: Option<u32>,
        retention_end: Option<chrono::NaiveDate>,
    ) -> Result<OfferedAkte, ServiceError> {
        let unit = plan.and_then(|p| p.find(&akte.plan_code));
        let dokumente = self.parts.catalog.dokumente_in(Some(akte.id))?;
        let vorgaenge = self
            .parts
            .catalog
            .vorgaenge(akte.id)?
            .into_iter()
            .map(|v| OfferedVorgang {
                id: *v.id.as_uuid(),
                title: v.title.clone(),
                created: crate::service::office_date(v.created),
                documents: dokumente
                    .iter()
                    .filter(|d| d.vorgang_id == Some(v.id))
                    .map(offered_document)
                    .collect(),
            })
            .collect();
        Ok(OfferedAkte {
            id: *akte.id.as_uuid(),
            aktenzeichen: akte.aktenzeichen.to_string(),
            title: akte.title.clone(),
            plan_code: akte.plan_code.to_string(),
            plan_title: unit.map(|u| u.title.clone()).unwrap_or_default(),
            confidentiality: match akte.confidentiality {
                Confidentiality::Offen => eakte_xdomea::Confidentiality::Offen,
                Confidentiality::Nfd => eakte_xdomea::Confidentiality::Nfd,
                Confidentiality::Vertraulich => eakte_xdomea::Confidentiality::Vertraulich,
            },
            created: crate::service::office_date(akte.created),
            closed_on: akte.closed_on,
            retention_years,
            archival_value: match unit.map(|u| u.archival_value) {
                Some(eakte_types::ArchivalValue::A) => eakte_xdomea::ArchivalValue::A,
                Some(eakte_types::ArchivalValue::V) => eakte_xdomea::ArchivalValue::V,
                _ => eakte_xdomea::ArchivalValue::B,
            },
            retention_end,
            vorgaenge,
            documents: dokumente
                .iter()
                .filter(|d| d.vorgang_id.is_none())
                .map(offered_document)
                .collect(),
        })
    }

    /// The stored original of every version of the Akten, with its size, by the file name it
    /// has in xdomea.
    fn blobs_of(
        &self,
        ids: &[AkteId],
    ) -> Result<BTreeMap<String, (eakte_types::BlobId, u64)>, ServiceError> {
        let mut blobs = BTreeMap::new();
        for id in ids {
            for dokument in self.parts.catalog.dokumente_in(Some(*id))? {
                for version in &dokument.versions {
                    blobs.insert(file_name(&dokument, version), (version.blob, version.size));
                }
            }
        }
        Ok(blobs)
    }
}

/// The years a rule keeps records in all, when its phases are fixed whole years.
fn retention_years(rule: &eakte_retention::Rule) -> Option<u32> {
    let mut years = 0u32;
    for phase in &rule.phases {
        match (phase.period, phase.at_least, phase.at_most) {
            (Some(p), _, _) | (None, None, Some(p)) if p.months == 0 && p.days == 0 => {
                years += u32::from(p.years);
            }
            (None, None, None) => return None,
            _ => return None,
        }
    }
    Some(years)
}

/// A version's file name in xdomea: a UUID drawn from its blob id (stable across messages,
/// unlike the document's id), then its original name.
fn file_name(dokument: &Dokument, version: &eakte_catalog::Version) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&version.blob.as_bytes()[..16]);
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let original = dokument
        .original_name
        .as_deref()
        .map(|n| n.replace(['/', '\\'], "_"))
        .filter(|n| !n.chars().any(char::is_control) && !n.is_empty())
        .unwrap_or_else(|| format!("version-{}", version.number));
    format!("{uuid}_v{}_{original}", version.number)
}

fn offered_document(dokument: &Dokument) -> OfferedDocument {
    OfferedDocument {
        id: *dokument.id.as_uuid(),
        title: dokument.title.clone(),
        doc_type: dokument.doc_type.clone(),
        received: dokument.received,
        filed: crate::service::office_date(dokument.filed),
        versions: dokument
            .versions
            .iter()
            .map(|v| OfferedVersion {
                number: v.number,
                file: Some(PrimaryFile {
                    file_name: file_name(dokument, v),
                    original_name: dokument.original_name.clone(),
                    media_type: v
                        .media_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    size: v.size,
                    sha256_hex: v.sha256.to_string(),
                }),
            })
            .collect(),
    }
}
