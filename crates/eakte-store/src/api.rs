//! The `BlobStore` trait and the values it returns, so that another backend (an S3-compatible
//! object store with Object Lock) can take the place of the local segment files.

use std::io::Read;

use eakte_types::{BlobId, Sha256Digest};

use crate::StoreError;

/// What a put did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutOutcome {
    /// The blob's address: blake3 of its bytes.
    pub id: BlobId,
    /// SHA-256 of its bytes.
    pub sha256: Sha256Digest,
    /// Its length in bytes.
    pub len: u64,
    /// True when the same bytes were already stored and were not stored again.
    pub deduplicated: bool,
}

/// What the store knows of one blob without reading its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobMeta {
    /// The blob id.
    pub id: BlobId,
    /// SHA-256 of the original bytes.
    pub sha256: Sha256Digest,
    /// Original length in bytes.
    pub len: u64,
    /// Bytes its records take in the segment files, frame headers included.
    pub stored_len: u64,
}

/// Counts over the whole store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStats {
    /// Distinct blobs stored.
    pub blobs: u64,
    /// Sum of the distinct blobs' original lengths.
    pub logical_bytes: u64,
    /// Puts ever acknowledged, deduplicated ones included.
    pub puts: u64,
    /// Sum of the lengths of all acknowledged puts.
    pub put_bytes: u64,
    /// Bytes of the distinct blobs' records (compressed pieces, commits, frame headers).
    pub record_bytes: u64,
    /// Bytes of all segment files on disk.
    pub stored_bytes: u64,
    /// Number of segment files.
    pub segments: u64,
}

impl StoreStats {
    /// Bytes put over bytes kept: 2.0 means every blob was put twice on average.
    pub fn dedup_ratio(&self) -> f64 {
        ratio(self.put_bytes, self.logical_bytes)
    }

    /// Original bytes over record bytes: 3.0 means records take a third of the original size.
    pub fn compression_ratio(&self) -> f64 {
        ratio(self.logical_bytes, self.record_bytes)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// One problem found by a verify run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyProblem {
    /// A blob whose stored bytes do not match its id, checksum or metadata.
    CorruptBlob {
        /// The blob.
        id: BlobId,
        /// What failed.
        detail: String,
    },
    /// Bytes in a segment that belong to no readable record.
    DamagedRegion {
        /// The segment number.
        segment: u64,
        /// Where the bytes start.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

/// The result of re-reading every record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Blobs whose every piece was read, decompressed and hashed.
    pub blobs_checked: u64,
    /// Segment bytes read.
    pub bytes_checked: u64,
    /// Everything that did not check out.
    pub problems: Vec<VerifyProblem>,
}

impl VerifyReport {
    /// The ids of corrupt blobs, in the order found.
    pub fn corrupt_blobs(&self) -> impl Iterator<Item = &BlobId> {
        self.problems.iter().filter_map(|p| match p {
            VerifyProblem::CorruptBlob { id, .. } => Some(id),
            VerifyProblem::DamagedRegion { .. } => None,
        })
    }
}

/// A content-addressed, append-only store of original bytes.
pub trait BlobStore: Send + Sync {
    /// Stores all bytes of `input` and returns once they are durable. Putting bytes that are
    /// already stored stores nothing new.
    fn put(&self, input: &mut dyn Read) -> Result<PutOutcome, StoreError>;

    /// A reader of the blob's original bytes; every byte it yields has been verified against the
    /// blob id, and a mismatch is an error of kind `InvalidData` wrapping
    /// [`StoreError::Corruption`].
    fn get(&self, id: &BlobId) -> Result<Box<dyn Read + Send + '_>, StoreError>;

    /// The blob's metadata, without reading its content.
    fn meta(&self, id: &BlobId) -> Result<BlobMeta, StoreError>;

    /// Re-reads and re-hashes every record; `progress` is told bytes done and bytes in all.
    fn verify(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<VerifyReport, StoreError>;

    /// Counts over the whole store.
    fn stats(&self) -> Result<StoreStats, StoreError>;
}
