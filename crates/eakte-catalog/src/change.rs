//! The changes the service journals and then applies to the catalog.

use chrono::NaiveDate;
use eakte_types::{AkteId, BatchId, BlobId, DokumentId, HoldId, Sha256Digest, VorgangId};
use serde::{Deserialize, Serialize};

use crate::disposition::{Appraisal, Approval, Batch, Hold, Release, Tombstone};
use crate::plan::FilePlan;
use crate::records::{Akte, Dokument, Extraction, Version, Vorgang};

/// One change to the catalog. Everything the catalog stores comes from these values, so that
/// replaying the journal gives the same catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A file plan was imported; it becomes the current plan.
    PlanImported {
        /// The plan file as stored.
        blob: BlobId,
        /// The parsed plan.
        plan: FilePlan,
    },
    /// An Akte was created (open, without close date).
    AkteCreated {
        /// The new Akte.
        akte: Akte,
    },
    /// An Akte was closed (zdA).
    AkteClosed {
        /// The Akte.
        id: AkteId,
        /// The close date.
        closed_on: NaiveDate,
    },
    /// An event of an Akte was recorded (or moved later).
    AkteDomainDate {
        /// The Akte.
        id: AkteId,
        /// The event's name (`person.moved_away`).
        name: String,
        /// The date.
        date: NaiveDate,
    },
    /// A Vorgang was created in an open Akte.
    VorgangCreated {
        /// The new Vorgang.
        vorgang: Vorgang,
    },
    /// A document was filed, with exactly one version whose extraction is pending.
    DokumentFiled {
        /// The new document.
        dokument: Dokument,
    },
    /// A document waiting in the inbox was filed into an Akte (and a Vorgang of it).
    DokumentAssigned {
        /// The document.
        id: DokumentId,
        /// The open Akte it now belongs to.
        akte_id: AkteId,
        /// The Vorgang of that Akte, if any.
        vorgang_id: Option<VorgangId>,
    },
    /// A new version of a document was filed.
    VersionAdded {
        /// The document.
        id: DokumentId,
        /// The new version, numbered one above the last.
        version: Version,
    },
    /// The text extraction of a version finished (or was reset to pending).
    ExtractionRecorded {
        /// The document.
        id: DokumentId,
        /// The version number.
        version: u32,
        /// The outcome.
        extraction: Extraction,
    },
    /// A retention rule set was adopted; it replaces the one before.
    RulesAdopted {
        /// The rule files as stored (JSON `{"files": [{"name", "text"}]}`).
        blob: BlobId,
    },
    /// A legal hold was set.
    HoldSet {
        /// The hold.
        hold: Hold,
    },
    /// A legal hold was released.
    HoldReleased {
        /// The hold.
        id: HoldId,
        /// Who released it, and when.
        release: Release,
    },
    /// A disposition batch was proposed.
    DispositionProposed {
        /// The batch, neither approved nor begun.
        batch: Batch,
    },
    /// A disposition batch was approved by a second records manager.
    DispositionApproved {
        /// The batch.
        id: BatchId,
        /// Who approved it, and when.
        approval: Approval,
    },
    /// The archive's appraisal of a batch's offer (xdomea 0502) was imported.
    AppraisalRecorded {
        /// The batch.
        id: BatchId,
        /// The message as stored.
        blob: BlobId,
        /// The decision per offered Akte.
        decisions: Vec<(AkteId, Appraisal)>,
    },
    /// The transfer package of a batch (xdomea 0503) was exported.
    TransferRecorded {
        /// The batch.
        id: BatchId,
        /// SHA-256 of the package.
        sha256: Sha256Digest,
    },
    /// The archive's receipt of a transfer (xdomea 0506) was imported.
    ReceiptRecorded {
        /// The batch.
        id: BatchId,
        /// The message as stored.
        blob: BlobId,
        /// Per transferred Akte, whether the archive took it over.
        archived: Vec<(AkteId, bool)>,
    },
    /// An Akte was destroyed: its records leave the catalog, its tombstone stays.
    AkteDestroyed {
        /// The tombstone.
        tombstone: Tombstone,
    },
}

impl Change {
    /// The change's type as journaled (`akte_created`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PlanImported { .. } => "plan_imported",
            Self::AkteCreated { .. } => "akte_created",
            Self::AkteClosed { .. } => "akte_closed",
            Self::AkteDomainDate { .. } => "akte_domain_date",
            Self::VorgangCreated { .. } => "vorgang_created",
            Self::DokumentFiled { .. } => "dokument_filed",
            Self::DokumentAssigned { .. } => "dokument_assigned",
            Self::VersionAdded { .. } => "version_added",
            Self::ExtractionRecorded { .. } => "extraction_recorded",
            Self::RulesAdopted { .. } => "rules_adopted",
            Self::HoldSet { .. } => "hold_set",
            Self::HoldReleased { .. } => "hold_released",
            Self::DispositionProposed { .. } => "disposition_proposed",
            Self::DispositionApproved { .. } => "disposition_approved",
            Self::AppraisalRecorded { .. } => "appraisal_recorded",
            Self::TransferRecorded { .. } => "transfer_recorded",
            Self::ReceiptRecorded { .. } => "receipt_recorded",
            Self::AkteDestroyed { .. } => "akte_destroyed",
        }
    }
}
