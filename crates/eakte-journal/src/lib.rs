//! The journal: a tamper-evident, append-only record of every change and every access.
//!
//! - [`event`]: typed, versioned events; the stored entry is the Merkle leaf, personal data sits
//!   in a separate, erasable payload the entry commits to by hash.
//! - [`merkle`] and [`tree`]: the tree of RFC 6962/9162 (blake3 in production), inclusion and
//!   consistency proofs and their strict verification.
//! - [`Journal`]: durable appends with group commit on the shared segment format, recovery of a
//!   torn tail, signed checkpoints (Ed25519), proofs and queries.
//! - [`export`] and [`verify`]: an export directory an auditor can check offline with nothing
//!   but the public key; the verifier names the first bad entry.

pub mod checkpoint;
mod erase;
mod error;
pub mod event;
pub mod export;
mod journal;
pub mod merkle;
mod query;
mod summary;
pub mod tree;
pub mod verify;

pub use checkpoint::{Checkpoint, format_public_key, parse_public_key};
pub use erase::{EraseReport, erase_payloads};
pub use error::JournalError;
pub use event::{Actor, Entry, NewEvent, ObjectRef, Outcome, action};
pub use journal::{Journal, PayloadState, Receipt, StoredEvent, journal_dir};
pub use query::Query;
