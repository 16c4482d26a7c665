//! The append-only, content-addressed blob store: every original byte-identical, forever.
//!
//! Blobs are addressed by the blake3 hash of their bytes ([`BlobId`]), cut into 1 MiB pieces,
//! zstd-compressed where that pays, and appended to segment files (see `eakte-segment`). A put
//! returns only when its bytes are fsynced; concurrent puts share fsyncs. Every read is verified
//! against the blob id piece by piece before a byte is handed out, so corruption surfaces as
//! [`StoreError::Corruption`], never as wrong bytes.

mod api;
mod error;
mod file_store;
mod index;
mod purge;
mod reader;
mod record;
mod recovery;
mod scan;
mod tree;
mod verify;

pub use api::{BlobMeta, BlobStore, PutOutcome, StoreStats, VerifyProblem, VerifyReport};
pub use eakte_types::{BlobId, Sha256Digest};
pub use error::StoreError;
pub use file_store::FileStore;
pub use purge::{PurgeReport, purge_blobs};
pub use reader::{BlobReader, into_store_error};
pub use record::PIECE_LEN;
