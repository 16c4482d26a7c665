//! The one error type of the index crate.

use std::io;

/// Why an index operation failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The query text is malformed; `position` is the byte offset in the query where the
    /// problem was found.
    #[error("bad query at byte {position}: {message}")]
    Query {
        /// What is wrong, for the clerk.
        message: String,
        /// Byte offset in the query.
        position: usize,
    },
    /// A filter value is malformed (such as a plan code that is not one).
    #[error("bad filter: {0}")]
    Filter(String),
    /// The request exceeds a configured limit (query length, limit, offset).
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// The index files are damaged or were written with another schema; the index should be
    /// deleted and rebuilt from the sources of truth.
    #[error("index corrupted: {0}")]
    Corruption(String),
    /// The index was already closed or its writer failed.
    #[error("index writer unavailable: {0}")]
    Writer(String),
    /// File system failure.
    #[error("index i/o: {0}")]
    Io(#[from] io::Error),
    /// Any other failure inside tantivy.
    #[error("tantivy: {0}")]
    Tantivy(tantivy::TantivyError),
}

impl IndexError {
    /// A query error at `position`.
    pub(crate) fn query(message: impl Into<String>, position: usize) -> Self {
        Self::Query {
            message: message.into(),
            position,
        }
    }
}

impl From<tantivy::TantivyError> for IndexError {
    fn from(err: tantivy::TantivyError) -> Self {
        use tantivy::TantivyError as T;
        match err {
            T::DataCorruption(c) => Self::Corruption(format!("{c:?}")),
            T::SchemaError(s) => Self::Corruption(format!("schema: {s}")),
            T::IncompatibleIndex(i) => Self::Corruption(format!("incompatible index: {i:?}")),
            T::DeserializeError(d) => Self::Corruption(format!("stored document: {d}")),
            T::IoError(e) => Self::Io(io::Error::new(e.kind(), e.to_string())),
            other => Self::Tantivy(other),
        }
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for IndexError {
    fn from(err: tantivy::directory::error::OpenDirectoryError) -> Self {
        tantivy::TantivyError::from(err).into()
    }
}

impl From<tantivy::directory::error::OpenReadError> for IndexError {
    fn from(err: tantivy::directory::error::OpenReadError) -> Self {
        tantivy::TantivyError::from(err).into()
    }
}
