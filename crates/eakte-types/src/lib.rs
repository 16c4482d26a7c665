//! Domain types shared by every eakte crate: identifiers and digests, free of I/O.

mod digest;

pub use digest::{BlobId, DigestParseError, Sha256Digest};
