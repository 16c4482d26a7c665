//! Errors of the catalog, reasons a file plan is invalid, and refusals of changes that cannot be applied.

use chrono::NaiveDate;
use eakte_types::{AkteId, BatchId, DokumentId, HoldId, PlanCode, VorgangId};

/// Why a file plan is not acceptable, naming the unit at fault where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The input is larger than a plan may be.
    #[error("the file plan has {bytes} bytes, at most {limit} are allowed")]
    TooLarge {
        /// Size of the input.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The input is not JSON of the plan's shape (unknown keys are refused).
    #[error("the file plan is not valid: {message}")]
    Parse {
        /// What the parser said, with line and column.
        message: String,
    },
    /// The format number is not one this build reads.
    #[error("file plan format {found} is not supported, this build reads format {supported}")]
    Format {
        /// The format found.
        found: u32,
        /// The format this build reads.
        supported: u32,
    },
    /// A field of the plan itself is empty.
    #[error("the file plan's {field} is empty")]
    EmptyPlanField {
        /// The field.
        field: &'static str,
    },
    /// The plan has no units.
    #[error("the file plan has no units")]
    NoUnits,
    /// A field of a unit is empty.
    #[error("unit {code}: {field} is empty")]
    EmptyUnitField {
        /// The unit.
        code: PlanCode,
        /// The field.
        field: &'static str,
    },
    /// Two units have the same code.
    #[error("unit {code} appears more than once")]
    DuplicateCode {
        /// The code.
        code: PlanCode,
    },
    /// A child's code does not extend its parent's code.
    #[error("unit {code} lies below {parent} but its code does not extend the parent's")]
    NotNested {
        /// The child.
        code: PlanCode,
        /// The parent.
        parent: PlanCode,
    },
    /// A unit lies deeper than the plan allows.
    #[error("unit {code} lies at level {level}, at most {limit} levels are allowed")]
    TooDeep {
        /// The unit.
        code: PlanCode,
        /// Its level, from 1.
        level: usize,
        /// The limit.
        limit: usize,
    },
    /// The plan has more units than allowed.
    #[error("the file plan has more than {limit} units")]
    TooManyUnits {
        /// The limit.
        limit: usize,
    },
    /// A retention rule id is not of the allowed form.
    #[error(
        "unit {code}: retention rule {rule:?} is not a rule id (1 to 64 of a-z, 0-9, '_', '.', '-')"
    )]
    BadRuleId {
        /// The unit.
        code: PlanCode,
        /// The rule id as given.
        rule: String,
    },
}

/// An expected "no": the change cannot be applied to the catalog as it stands. A value, not an I/O
/// failure, so that callers answer it rather than report it as an internal error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No file plan has been imported yet.
    #[error("no file plan has been imported yet")]
    NoPlan,
    /// The plan code is not in the current file plan.
    #[error("plan code {code} is not in the current file plan")]
    UnknownPlanCode {
        /// The code.
        code: PlanCode,
    },
    /// The imported plan is invalid.
    #[error("the file plan is invalid: {0}")]
    InvalidPlan(PlanError),
    /// The new plan lacks a code that Akten are filed under.
    #[error("the new file plan lacks unit {code}, which Akten are filed under")]
    PlanDropsCodeInUse {
        /// The code.
        code: PlanCode,
    },
    /// The Aktenzeichen has been used before.
    #[error("Aktenzeichen {aktenzeichen} has already been used")]
    AktenzeichenUsed {
        /// The Aktenzeichen.
        aktenzeichen: String,
    },
    /// The Aktenzeichen's plan code differs from the Akte's.
    #[error("Aktenzeichen {aktenzeichen} does not belong to plan code {plan_code}")]
    AktenzeichenMismatch {
        /// The Aktenzeichen.
        aktenzeichen: String,
        /// The Akte's plan code.
        plan_code: PlanCode,
    },
    /// An Aktenzeichen was asked for a year without four digits (every `Aktenzeichen` value is
    /// valid by construction; this is the refusal to make one).
    #[error("Aktenzeichen {aktenzeichen} is not valid (running number from 1, four-digit year)")]
    InvalidAktenzeichen {
        /// The Aktenzeichen as it would be written.
        aktenzeichen: String,
    },
    /// Every running number of this plan code and year has been used.
    #[error("no running numbers are left for plan code {plan_code} in {year}")]
    AktenzeichenExhausted {
        /// The plan code.
        plan_code: PlanCode,
        /// The year.
        year: u16,
    },
    /// An Akte with this id exists.
    #[error("Akte {id} already exists")]
    AkteExists {
        /// The id.
        id: AkteId,
    },
    /// A new Akte must be open and without a close date.
    #[error("Akte {id} must be created open, without a close date")]
    AkteNotNew {
        /// The id.
        id: AkteId,
    },
    /// No Akte has this id.
    #[error("Akte {id} does not exist")]
    UnknownAkte {
        /// The id.
        id: AkteId,
    },
    /// The Akte is closed (zdA): nothing more is filed into it and it cannot be closed again.
    #[error("Akte {id} is closed")]
    AkteClosed {
        /// The id.
        id: AkteId,
    },
    /// The close date lies before the day the Akte was created.
    #[error("Akte {id} cannot be closed on {closed_on}, it was created on {created}")]
    CloseBeforeCreation {
        /// The Akte.
        id: AkteId,
        /// The requested close date.
        closed_on: NaiveDate,
        /// The day it was created (UTC).
        created: NaiveDate,
    },
    /// A domain date's name is not of the allowed form.
    #[error("{name:?} is not a domain date name (1 to 64 of a-z, 0-9, '_', '.')")]
    BadDomainDateName {
        /// The name as given.
        name: String,
    },
    /// A Vorgang with this id exists.
    #[error("Vorgang {id} already exists")]
    VorgangExists {
        /// The id.
        id: VorgangId,
    },
    /// No Vorgang has this id.
    #[error("Vorgang {id} does not exist")]
    UnknownVorgang {
        /// The id.
        id: VorgangId,
    },
    /// The Vorgang belongs to another Akte than the document.
    #[error("Vorgang {vorgang} is not part of the document's Akte")]
    VorgangNotInAkte {
        /// The Vorgang.
        vorgang: VorgangId,
    },
    /// A document with this id exists.
    #[error("document {id} already exists")]
    DokumentExists {
        /// The id.
        id: DokumentId,
    },
    /// The document is filed in an Akte already, not waiting in the inbox.
    #[error("document {id} is filed in an Akte already")]
    NotInInbox {
        /// The document.
        id: DokumentId,
    },
    /// No document has this id.
    #[error("document {id} does not exist")]
    UnknownDokument {
        /// The id.
        id: DokumentId,
    },
    /// The document has no version with this number.
    #[error("document {id} has no version {version}")]
    UnknownVersion {
        /// The document.
        id: DokumentId,
        /// The version number.
        version: u32,
    },
    /// A new version must carry the next number.
    #[error("document {id} gets version {expected} next, not {found}")]
    VersionNotNext {
        /// The document.
        id: DokumentId,
        /// The next number.
        expected: u32,
        /// The number given.
        found: u32,
    },
    /// The catalog could not be read while checking; not the caller's fault. Only
    /// [`Catalog::check`](crate::Catalog::check) gives this; [`Catalog::try_check`](crate::Catalog::try_check)
    /// reports the error itself.
    #[error("the catalog could not be read: {reason}")]
    CatalogUnavailable {
        /// The error.
        reason: String,
    },
    /// A newly filed document must have exactly one version, number 1, with extraction pending.
    #[error("document {id} must be filed with exactly one version, number 1, extraction pending")]
    NotFirstVersion {
        /// The document.
        id: DokumentId,
    },
    /// The close date lies before the Akte's last filing.
    #[error("Akte {id} cannot be closed on {closed_on}: a document was filed in it on {filed}")]
    CloseBeforeFiling {
        /// The Akte.
        id: AkteId,
        /// The requested close date.
        closed_on: NaiveDate,
        /// The day of the last filing.
        filed: NaiveDate,
    },
    /// An event's date would move earlier, which could shorten retention.
    #[error(
        "event {name} of Akte {id} is recorded for {recorded}; it cannot move earlier to {date}"
    )]
    EventMovedEarlier {
        /// The Akte.
        id: AkteId,
        /// The event.
        name: String,
        /// The date recorded.
        recorded: NaiveDate,
        /// The earlier date asked for.
        date: NaiveDate,
    },
    /// A hold with this id exists.
    #[error("hold {id} already exists")]
    HoldExists {
        /// The id.
        id: HoldId,
    },
    /// No hold has this id.
    #[error("hold {id} does not exist")]
    UnknownHold {
        /// The id.
        id: HoldId,
    },
    /// The hold was released already.
    #[error("hold {id} was released already")]
    HoldReleased {
        /// The id.
        id: HoldId,
    },
    /// A hold needs a reason, a setter and something to cover.
    #[error("a hold needs {what}")]
    HoldIncomplete {
        /// What is missing.
        what: &'static str,
    },
    /// A batch with this id exists.
    #[error("disposition batch {id} already exists")]
    BatchExists {
        /// The id.
        id: BatchId,
    },
    /// No batch has this id.
    #[error("disposition batch {id} does not exist")]
    UnknownBatch {
        /// The id.
        id: BatchId,
    },
    /// The step does not fit the batch's state.
    #[error("disposition batch {id}: {why}")]
    BatchState {
        /// The batch.
        id: BatchId,
        /// Why not.
        why: String,
    },
    /// The approver proposed the batch.
    #[error(
        "disposition batch {id} was proposed by {user}; a different records manager must approve it"
    )]
    SameApprover {
        /// The batch.
        id: BatchId,
        /// The user.
        user: String,
    },
    /// The Akte is in another batch that is not finished.
    #[error("Akte {akte} is in disposition batch {batch} already")]
    AkteInBatch {
        /// The Akte.
        akte: AkteId,
        /// The batch.
        batch: BatchId,
    },
    /// The Akte may not be destroyed (yet).
    #[error("Akte {akte} cannot be destroyed: {why}")]
    NotDestroyable {
        /// The Akte.
        akte: AkteId,
        /// Why not.
        why: String,
    },
    /// The Akte was destroyed; only its tombstone remains.
    #[error("Akte {id} was destroyed")]
    AkteDestroyed {
        /// The Akte.
        id: AkteId,
    },
}

/// An error of the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A stored value or key cannot be decoded; the catalog must be rebuilt from the journal.
    #[error("the catalog is corrupt: {what}")]
    Corruption {
        /// What could not be decoded, and why.
        what: String,
    },
    /// A change was refused while being applied: the journal and the catalog disagree.
    #[error("change refused: {0}")]
    Refused(Refusal),
    /// The catalog folder was written by another format.
    #[error("the catalog has format {found}, this build reads {supported}; rebuild it")]
    Format {
        /// The format found.
        found: u64,
        /// The format this build reads.
        supported: u64,
    },
    /// A value could not be encoded for storage.
    #[error("cannot encode {what}: {message}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// What the encoder said.
        message: String,
    },
    /// An error of the sled database.
    #[error("catalog database: {0}")]
    Sled(#[from] sled::Error),
}

impl CatalogError {
    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        Self::Corruption { what: what.into() }
    }
}
