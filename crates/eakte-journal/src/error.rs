//! Errors of the journal.

use std::path::PathBuf;

use eakte_segment::SegmentError;

/// An error of opening, appending to or reading the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// An operating-system I/O error, with the file it concerns.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An error of the segment layer (a failed fsync poisons the journal until restart).
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// An event or argument that the journal refuses; nothing was written.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The stored journal does not check out: damage in the middle of a segment, a broken chain,
    /// a checkpoint that does not match. The journal refuses to open rather than hide it.
    #[error("the journal is damaged: {0}")]
    Damaged(String),
    /// The checkpoint key is missing, unreadable or too widely readable.
    #[error("checkpoint key: {0}")]
    Key(String),
    /// The journal directory is used by another process.
    #[error("the journal at {0} is in use by another process")]
    Locked(PathBuf),
    /// A segment was written by a newer version of eakte.
    #[error("{path} has format version {found}; this build reads up to {supported}")]
    Format {
        /// The segment file.
        path: PathBuf,
        /// Its version.
        found: u16,
        /// The newest version this build reads.
        supported: u16,
    },
}

impl JournalError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
