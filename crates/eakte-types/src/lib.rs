//! Domain types shared by every eakte crate: identifiers, digests and the records vocabulary,
//! free of I/O.

mod digest;
mod records;

pub use digest::{BlobId, DigestParseError, Sha256Digest};
pub use records::{
    AkteId, AkteStatus, Aktenzeichen, ArchivalValue, BatchId, Confidentiality, DokumentId, HoldId,
    PlanCode, RecordClass, RecordParseError, VorgangId,
};
