//! Errors of reading and writing segment files.

use std::path::PathBuf;

/// An error of the segment layer.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// An operating-system I/O error, with the file it concerns.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An earlier `fsync` failed; the kernel may have dropped dirty pages, so no later write can
    /// be acknowledged until the process restarts and re-reads the files.
    #[error("an earlier fsync failed ({0}); writes are refused until restart")]
    Poisoned(String),
    /// A segment to be rewritten holds bytes that are no intact frame; rewriting it would drop
    /// them, and with them the evidence of the damage and whatever could still be recovered.
    #[error(
        "{path} holds {bytes} damaged bytes at offset {offset}; restore it (or verify and repair the store) before rewriting it"
    )]
    Damaged {
        /// The segment.
        path: PathBuf,
        /// Where the first damage starts.
        offset: u64,
        /// How many damaged bytes there are in all.
        bytes: u64,
    },
}

impl SegmentError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
