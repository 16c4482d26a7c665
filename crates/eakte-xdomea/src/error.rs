//! The one error type of the crate.
//!
//! Every variant names one cause, and its message is stable, so that the service can map a
//! refusal onto a journal entry or an API problem without parsing text. Values copied out of an
//! untrusted message are cut to [`MAX_QUOTED_CHARS`] characters before they end up in a message.

use uuid::Uuid;

/// Longest excerpt of untrusted input quoted in an error, so a hostile message cannot make the
/// error (and the log line it ends up in) arbitrarily large.
pub const MAX_QUOTED_CHARS: usize = 80;

/// Why a message could not be built or read.
#[derive(Debug, thiserror::Error)]
pub enum XdomeaError {
    /// The input is neither a zip container nor XML whose root element is in the xdomea
    /// namespace.
    #[error("input is not an xdomea message")]
    NotXdomea,
    /// The root element is in the namespace of another xdomea version.
    #[error("xdomea namespace {namespace:?} is not supported, expected xdomea 3.0.0")]
    UnsupportedVersion {
        /// The namespace found on the root element.
        namespace: String,
    },
    /// The message is an xdomea 3.0.0 message, but of another type than the one asked for.
    #[error("expected message {expected}, found {found}")]
    WrongMessageType {
        /// Root element name of the expected message.
        expected: &'static str,
        /// Root element name of the message found.
        found: String,
    },
    /// The message is not well-formed or lacks something every message of its type carries.
    #[error("malformed message: {what}")]
    Malformed {
        /// What is wrong.
        what: String,
    },
    /// The XML carries a document type declaration; xdomea messages never do, and refusing them
    /// rules out entity expansion of any kind.
    #[error("document type declarations are not accepted")]
    Doctype,
    /// Some input exceeds a limit of [`crate::limits`].
    #[error("{what} exceeds the limit of {limit}")]
    TooLarge {
        /// What exceeded the limit.
        what: &'static str,
        /// The limit (bytes, entries or levels, see `what`).
        limit: u64,
    },
    /// The zip container cannot be read or written.
    #[error("zip container: {what}")]
    Zip {
        /// The cause reported by the zip reader or writer.
        what: String,
    },
    /// The zip container lacks a file the message needs.
    #[error("zip container lacks {name}")]
    MissingFile {
        /// Name (or name pattern) of the missing file.
        name: String,
    },
    /// `Kopf/ProzessID` is not a UUID.
    #[error("ProzessID {value:?} is not a UUID")]
    InvalidProcessId {
        /// The value found (cut to [`MAX_QUOTED_CHARS`]).
        value: String,
    },
    /// The ID of a Schriftgutobjekt in a message is not a UUID.
    #[error("object ID {value:?} is not a UUID")]
    InvalidObjectId {
        /// The value found (cut to [`MAX_QUOTED_CHARS`]).
        value: String,
    },
    /// The archive's appraisal of an object is neither A nor V, so it decides nothing.
    #[error("appraisal of {id} is {value:?}, expected A (archive) or V (destroy)")]
    UnusableAppraisal {
        /// The object appraised.
        id: Uuid,
        /// The Aussonderungsart found (cut to [`MAX_QUOTED_CHARS`]).
        value: String,
    },
    /// The same object appears twice where it must appear once.
    #[error("object {id} appears more than once")]
    DuplicateObject {
        /// The repeated object ID.
        id: Uuid,
    },
    /// The caller's data cannot be expressed in a schema-valid message.
    #[error("invalid input: {what}")]
    InvalidInput {
        /// What is wrong.
        what: String,
    },
    /// A primary file name does not have the form xdomea requires (a UUID first, here one other
    /// than the document's) or is not a plain file name of at most 255 bytes.
    #[error(
        "primary file name {name:?} must be a plain name of at most 255 bytes starting with a \
         UUID other than the document's"
    )]
    InvalidFileName {
        /// The offending name.
        name: String,
    },
    /// Two primary files (or a primary file and the message itself) share a name in the zip.
    #[error("file name {name:?} occurs twice in the container")]
    DuplicateFileName {
        /// The repeated name.
        name: String,
    },
    /// A document version has no primary file, so it cannot be transferred.
    #[error("version {version} of document {document} has no primary file")]
    VersionWithoutFile {
        /// The document.
        document: Uuid,
        /// The version number.
        version: u32,
    },
    /// The caller could not supply a primary file's bytes.
    #[error("primary file {name:?} unavailable: {reason}")]
    FileUnavailable {
        /// The primary file name.
        name: String,
        /// The caller's reason.
        reason: String,
    },
    /// The bytes supplied for a primary file do not match its recorded size or SHA-256.
    #[error("primary file {name:?}: {what} does not match the record")]
    FileMismatch {
        /// The primary file name.
        name: String,
        /// `"size"` or `"SHA-256"`.
        what: &'static str,
    },
    /// An Akte marked V (destroy) was passed to the transfer; the archive never takes those.
    #[error("Akte {id} is marked for destruction and cannot be transferred")]
    MarkedForDestruction {
        /// The Akte.
        id: Uuid,
    },
    /// A message would carry no object, which the schema forbids.
    #[error("a message needs at least one {what}")]
    Empty {
        /// The kind of entry missing.
        what: &'static str,
    },
    /// Writing the XML failed.
    #[error("writing the message failed: {source}")]
    Write {
        /// The writer's error.
        #[source]
        source: std::io::Error,
    },
}

impl From<std::io::Error> for XdomeaError {
    fn from(source: std::io::Error) -> Self {
        XdomeaError::Write { source }
    }
}

impl From<zip::result::ZipError> for XdomeaError {
    fn from(error: zip::result::ZipError) -> Self {
        XdomeaError::Zip {
            what: error.to_string(),
        }
    }
}

/// Cuts untrusted text to [`MAX_QUOTED_CHARS`] characters for use in an error.
pub(crate) fn quote(value: &str) -> String {
    value.chars().take(MAX_QUOTED_CHARS).collect()
}
