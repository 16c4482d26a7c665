//! What records management adds to the catalog: the adopted retention rule sets, legal holds,
//! disposition batches and the tombstones destroyed Akten leave.

use chrono::{DateTime, NaiveDate, Utc};
use eakte_types::{
    AkteId, Aktenzeichen, BatchId, BlobId, DokumentId, HoldId, PlanCode, Sha256Digest, VorgangId,
};
use serde::{Deserialize, Serialize};

/// A legal hold: while it is not released, nothing it covers is disposed of (restriction
/// excepted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The hold's id.
    pub id: HoldId,
    /// What it covers.
    pub scope: HoldScope,
    /// Why (pending litigation, open tax assessment, …).
    pub reason: String,
    /// Who set it.
    pub set_by: String,
    /// When.
    pub set_at: DateTime<Utc>,
    /// Its release, once released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<Release>,
}

impl Hold {
    /// Whether it still holds.
    pub fn is_active(&self) -> bool {
        self.released.is_none()
    }
}

/// The release of a hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// Who released it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a hold covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HoldScope {
    /// An Akte and everything in it.
    Akte {
        /// The Akte.
        id: AkteId,
    },
    /// A Vorgang and its documents (and so its Akte's disposition).
    Vorgang {
        /// The Vorgang.
        id: VorgangId,
    },
    /// One document (and so its Akte's disposition).
    Dokument {
        /// The document.
        id: DokumentId,
    },
    /// The documents a search matched when the hold was set.
    Query {
        /// The query as given.
        query: String,
        /// The documents it matched then.
        documents: Vec<DokumentId>,
    },
}

/// What the public archive decided for an offered Akte (xdomea 0502).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Appraisal {
    /// Archivwürdig: to be transferred.
    A,
    /// Vernichten: declined.
    V,
}

/// One Akte in a disposition batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    /// The Akte.
    pub akte: AkteId,
    /// Its Aktenzeichen.
    pub aktenzeichen: Aktenzeichen,
    /// The rule that made it due.
    pub rule: String,
    /// The end action: `offer_to_archive`, `destroy` or `review`.
    pub action: String,
    /// For an offer: `destroy` or `keep` when declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_declined: Option<String>,
    /// The day it became due.
    pub due_on: NaiveDate,
    /// The archive's decision, once the appraisal (0502) was imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appraisal: Option<Appraisal>,
    /// Whether the archive confirmed taking it over (0506), once the receipt was imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// When it was destroyed, once it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroyed_at: Option<DateTime<Utc>>,
}

impl BatchItem {
    /// What carrying the item out now does: `destroyed` (destroy and review actions, offers
    /// the archive declined), `transferred` (offers the archive confirmed taking over), or why
    /// it must wait or stay.
    pub fn outcome(&self) -> Result<&'static str, &'static str> {
        match (self.action.as_str(), self.appraisal, self.archived) {
            ("destroy" | "review", _, _) => Ok("destroyed"),
            ("offer_to_archive", Some(Appraisal::V), _)
                if self.if_declined.as_deref() == Some("keep") =>
            {
                Err("kept: the archive declined it and its rule keeps it")
            }
            ("offer_to_archive", Some(Appraisal::V), _) => Ok("destroyed"),
            ("offer_to_archive", Some(Appraisal::A), Some(true)) => Ok("transferred"),
            ("offer_to_archive", Some(Appraisal::A), Some(false)) => {
                Err("the archive reported that it did not take it over")
            }
            ("offer_to_archive", Some(Appraisal::A), None) => {
                Err("waiting for the archive's receipt (0506)")
            }
            ("offer_to_archive", None, _) => Err("waiting for the archive's appraisal (0502)"),
            _ => Err("its action is no disposition"),
        }
    }
}

/// A sign-off of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The records manager.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A disposition batch: what was due on a day, proposed by one records manager and approved by
/// another before anything happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The batch id; also the xdomea process id.
    pub id: BatchId,
    /// The day whose due list it is.
    pub as_of: NaiveDate,
    /// Who proposed it, and when.
    pub proposed: Approval,
    /// Who approved it, and when; a different records manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<Approval>,
    /// The Akten.
    pub items: Vec<BatchItem>,
    /// The stored appraisal message (0502), once imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appraisal_blob: Option<BlobId>,
    /// SHA-256 of the transfer package (0503) as sent, once exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_sha256: Option<Sha256Digest>,
    /// The stored receipt (0506), once imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_blob: Option<BlobId>,
}

/// One version of a destroyed document, as the tombstone keeps it: hashes and size only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TombstoneVersion {
    /// The original's blob id (blake3).
    pub blob: BlobId,
    /// The original's SHA-256.
    pub sha256: Sha256Digest,
    /// Its length in bytes.
    pub len: u64,
    /// The extracted text's blob, if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendition: Option<BlobId>,
}

/// A destroyed document in a tombstone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TombstoneDocument {
    /// The document's id.
    pub id: DokumentId,
    /// Its versions.
    pub versions: Vec<TombstoneVersion>,
}

/// What remains of a destroyed Akte: ids, hashes, the rule, the approvals and the time; no
/// content and no personal metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The Akte's id.
    pub akte: AkteId,
    /// Its Aktenzeichen (never given out again).
    pub aktenzeichen: Aktenzeichen,
    /// Its file plan unit.
    pub plan_code: PlanCode,
    /// The batch that disposed of it.
    pub batch: BatchId,
    /// The rule.
    pub rule: String,
    /// `destroyed` (declined or destroy-only) or `transferred` (taken over by the archive).
    pub outcome: String,
    /// Who proposed the disposition.
    pub proposed_by: String,
    /// Who approved it.
    pub approved_by: String,
    /// When it was destroyed.
    pub destroyed_at: DateTime<Utc>,
    /// Its Vorgänge.
    pub vorgaenge: Vec<VorgangId>,
    /// Its documents.
    pub documents: Vec<TombstoneDocument>,
}
