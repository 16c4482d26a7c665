//! The catalog: the file plan and the records (Akte, Vorgang, Dokument, versions) as a sled view of the journal.

mod catalog;
mod change;
mod disposition;
mod error;
mod plan;
mod records;

pub use catalog::{Catalog, CompactReport};
pub use change::Change;
pub use disposition::{
    Appraisal, Approval, Batch, BatchItem, Hold, HoldScope, Release, Tombstone, TombstoneDocument,
    TombstoneVersion,
};
pub use error::{CatalogError, PlanError, Refusal};
pub use plan::{
    FilePlan, MAX_PLAN_BYTES, MAX_PLAN_LEVELS, MAX_PLAN_UNITS, PLAN_FORMAT, PlanUnit, RecordClass,
};
pub use records::{Akte, Capture, Dokument, Extraction, Version, Vorgang};
