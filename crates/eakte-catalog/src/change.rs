//! The changes the service journals and then applies to the catalog.

use chrono::NaiveDate;
use eakte_types::{AkteId, BlobId, DokumentId, VorgangId};
use serde::{Deserialize, Serialize};

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
    /// A domain date of an Akte was set or changed.
    AkteDomainDate {
        /// The Akte.
        id: AkteId,
        /// The date's name (`person_moved_away`).
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
        }
    }
}
