//! Errors of the blob store.

use std::path::PathBuf;

use eakte_types::BlobId;

/// An error of the blob store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No blob with this id is stored.
    #[error("blob {0} is not in the store")]
    NotFound(BlobId),
    /// Stored bytes of this blob fail their checksum or hash; no wrong byte was handed out.
    #[error("blob {id} is corrupt: {detail}")]
    Corruption {
        /// The blob.
        id: BlobId,
        /// What failed.
        detail: String,
    },
    /// Reading the caller's input failed; nothing was stored.
    #[error("reading the input failed: {0}")]
    Input(#[source] std::io::Error),
    /// A blob is larger than the format allows (2 TiB).
    #[error("blob is larger than the store's limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Another process has the store open.
    #[error("the store in {path} is in use by another process")]
    Locked {
        /// The store directory.
        path: PathBuf,
    },
    /// The store directory was written by a newer format.
    #[error("{path} has store format {found}, this build reads {supported}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// An operating-system I/O error of the store's own files.
    #[error(transparent)]
    Segment(#[from] eakte_segment::SegmentError),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Segment(eakte_segment::SegmentError::io(path, source))
    }

    pub(crate) fn corrupt(id: BlobId, detail: impl Into<String>) -> Self {
        Self::Corruption {
            id,
            detail: detail.into(),
        }
    }
}
