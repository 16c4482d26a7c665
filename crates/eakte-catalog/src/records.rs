//! The records the catalog keeps: Akte, Vorgang, Dokument with its versions and their text extraction.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use eakte_types::{
    AkteId, AkteStatus, Aktenzeichen, BlobId, Confidentiality, DokumentId, PlanCode, Sha256Digest,
    VorgangId,
};
use serde::{Deserialize, Serialize};

/// An Akte (file): the records of one subject or case under a file plan unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Akte {
    /// The permanent id.
    pub id: AkteId,
    /// The file number, unique and never reused.
    pub aktenzeichen: Aktenzeichen,
    /// The file plan unit it is kept under.
    pub plan_code: PlanCode,
    /// The subject.
    pub title: String,
    /// The organisational unit in charge.
    pub unit: String,
    /// Confidentiality of the Akte and everything in it.
    pub confidentiality: Confidentiality,
    /// Open, or closed (zdA).
    pub status: AkteStatus,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// The day it was closed (zdA), once closed.
    pub closed_on: Option<NaiveDate>,
    /// Dates of the case that retention rules may start from, by name (`person_moved_away`).
    pub domain_dates: BTreeMap<String, NaiveDate>,
}

/// A Vorgang: one matter within an Akte that groups documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vorgang {
    /// The permanent id.
    pub id: VorgangId,
    /// The Akte it belongs to.
    pub akte_id: AkteId,
    /// The matter.
    pub title: String,
    /// When it was created.
    pub created: DateTime<Utc>,
}

/// A Dokument: one filed document with all its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dokument {
    /// The permanent id.
    pub id: DokumentId,
    /// The Akte it is filed in; `None` while it waits in the inbox.
    pub akte_id: Option<AkteId>,
    /// The Vorgang within the Akte, if any.
    pub vorgang_id: Option<VorgangId>,
    /// The organisational unit whose inbox received it (uploads of scanning stations); its
    /// Akte's unit governs once it is filed. Absent in entries written before inboxes had units.
    #[serde(default)]
    pub unit: Option<String>,
    /// The title.
    pub title: String,
    /// The kind of document (`Antrag`, `Bescheid`, …).
    pub doc_type: Option<String>,
    /// The day it was received.
    pub received: Option<NaiveDate>,
    /// Who sent it.
    pub sender: Option<String>,
    /// The scanning station's transfer note, for scanned paper.
    pub capture: Option<Capture>,
    /// The file name it arrived with.
    pub original_name: Option<String>,
    /// When it was filed.
    pub filed: DateTime<Utc>,
    /// The versions, numbered from 1 without gaps.
    pub versions: Vec<Version>,
}

/// The transfer note of a scanning station (BSI TR-RESISCAN): who scanned what, how, and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// The scanning station.
    pub station: String,
    /// Who operated it.
    pub operator: Option<String>,
    /// When the paper was scanned.
    pub scanned_at: Option<DateTime<Utc>>,
    /// Scan resolution in dots per inch.
    pub resolution_dpi: Option<u32>,
    /// The result of the quality check, as the station reports it.
    pub quality_check: Option<String>,
    /// `bw`, `gray` or `colour`. Absent in entries written before the API took it.
    #[serde(default)]
    pub colour_mode: Option<String>,
    /// The number of scanned pages the station counted.
    #[serde(default)]
    pub page_count: Option<u32>,
}

/// One version of a document: its original bytes in the store and their text extraction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// The version number, from 1.
    pub number: u32,
    /// The original bytes.
    pub blob: BlobId,
    /// SHA-256 of the original bytes.
    pub sha256: Sha256Digest,
    /// Size of the original in bytes.
    pub size: u64,
    /// The media type, once known.
    pub media_type: Option<String>,
    /// When this version was filed.
    pub filed: DateTime<Utc>,
    /// The state of its text extraction.
    pub extraction: Extraction,
}

/// The state of a version's text extraction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Extraction {
    /// Not extracted yet.
    Pending,
    /// Extracted; the result is stored as a rendition blob.
    Done {
        /// The extraction result (`schemas/extraction.v1.json`).
        rendition: BlobId,
        /// Number of pages.
        pages: u32,
        /// ISO 639-3 code of the main language, if one could be told.
        language: Option<String>,
    },
    /// Extraction failed for good.
    Failed {
        /// The error code of the extraction result.
        code: String,
        /// What went wrong.
        message: String,
    },
}

impl Dokument {
    /// The version with this number.
    pub fn version(&self, number: u32) -> Option<&Version> {
        self.versions.iter().find(|v| v.number == number)
    }

    /// The newest version.
    pub fn latest(&self) -> Option<&Version> {
        self.versions.iter().max_by_key(|v| v.number)
    }
}
