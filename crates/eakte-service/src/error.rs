//! Errors of the service layer: refusals with a stable code, and failures of the parts below.

use eakte_catalog::{CatalogError, Refusal};
use eakte_index::IndexError;
use eakte_journal::JournalError;
use eakte_store::StoreError;

/// Why a use case did not happen. Refusals and bad input are the caller's to fix and carry a
/// stable machine code ([`ServiceError::code`]); the rest are the system's trouble.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is refused as it stands (unknown plan code, Akte closed, …); nothing changed.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The input cannot be used: a bad file plan, an unreadable or too large file.
    #[error("{message}")]
    Input {
        /// Stable code, such as `plan_invalid` or `file_too_large`.
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// A named object does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, such as `Akte 33.10-0042/2026`.
        what: String,
    },
    /// The caller's role never has this right (HTTP 403); nothing was done.
    #[error("your role may not {right}")]
    Forbidden {
        /// The right that was missing, such as `read_content`.
        right: &'static str,
    },
    /// The request carries no valid token (HTTP 401); the failure is journaled.
    #[error("authentication required: a valid bearer token")]
    Unauthenticated(crate::tokens::AuthFailure),
    /// A bad search query or search limits.
    #[error("{0}")]
    Query(IndexError),
    /// The journal cannot be written or read: the request failed and changed nothing.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The catalog failed or disagrees with the journal.
    #[error("catalog: {0}")]
    Catalog(CatalogError),
    /// The index failed.
    #[error("index: {0}")]
    Index(IndexError),
    /// The sources of truth hold something this build cannot read back.
    #[error("corruption: {0}")]
    Corruption(String),
    /// Something went wrong inside the service that is neither the caller's nor damage.
    #[error("{0}")]
    Internal(String),
    /// An operating-system error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

impl ServiceError {
    /// The stable machine code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused(refusal) => refusal_code(refusal),
            Self::Input { code, .. } => code,
            Self::NotFound { .. } => "not_found",
            Self::Forbidden { .. } => "forbidden",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Query(IndexError::Limit(_)) => "limit",
            Self::Query(IndexError::Filter(_)) => "bad_filter",
            Self::Query(_) => "bad_query",
            Self::Journal(_) => "journal_unavailable",
            Self::Store(_)
            | Self::Catalog(_)
            | Self::Index(_)
            | Self::Io { .. }
            | Self::Internal(_) => "internal",
            Self::Corruption(_) => "corruption",
        }
    }

    /// Whether the caller caused it (a refusal, bad input, an unknown object, a bad query).
    pub fn is_caller_error(&self) -> bool {
        matches!(
            self,
            Self::Refused(_)
                | Self::Input { .. }
                | Self::NotFound { .. }
                | Self::Query(_)
                | Self::Forbidden { .. }
                | Self::Unauthenticated(_)
        )
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// A refusal of unusable input with a stable code.
    pub fn input(code: &'static str, message: impl Into<String>) -> Self {
        Self::Input {
            code,
            message: message.into(),
        }
    }
}

impl From<IndexError> for ServiceError {
    fn from(error: IndexError) -> Self {
        match error {
            IndexError::Query { .. } | IndexError::Limit(_) | IndexError::Filter(_) => {
                Self::Query(error)
            }
            other => Self::Index(other),
        }
    }
}

impl From<CatalogError> for ServiceError {
    fn from(error: CatalogError) -> Self {
        match error {
            CatalogError::Refused(refusal) => Self::Refused(refusal),
            other => Self::Catalog(other),
        }
    }
}

/// The stable code of a catalog refusal.
fn refusal_code(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::NoPlan => "no_plan",
        Refusal::UnknownPlanCode { .. } => "unknown_plan_code",
        Refusal::InvalidPlan(_) => "plan_invalid",
        Refusal::PlanDropsCodeInUse { .. } => "plan_drops_code_in_use",
        Refusal::AktenzeichenUsed { .. }
        | Refusal::AktenzeichenMismatch { .. }
        | Refusal::InvalidAktenzeichen { .. } => "aktenzeichen_invalid",
        Refusal::AktenzeichenExhausted { .. } => "aktenzeichen_exhausted",
        Refusal::AkteExists { .. }
        | Refusal::VorgangExists { .. }
        | Refusal::DokumentExists { .. } => "already_exists",
        Refusal::AkteNotNew { .. } | Refusal::NotFirstVersion { .. } => "invalid_record",
        Refusal::UnknownAkte { .. }
        | Refusal::UnknownVorgang { .. }
        | Refusal::UnknownDokument { .. }
        | Refusal::UnknownVersion { .. } => "unknown_record",
        Refusal::AkteClosed { .. } => "akte_closed",
        Refusal::CloseBeforeCreation { .. } | Refusal::CloseBeforeFiling { .. } => {
            "close_before_creation"
        }
        Refusal::BadDomainDateName { .. } => "bad_domain_date",
        Refusal::VorgangNotInAkte { .. } => "vorgang_not_in_akte",
        Refusal::VersionNotNext { .. } => "version_not_next",
        Refusal::NotInInbox { .. } => "not_in_inbox",
        Refusal::CatalogUnavailable { .. } => "catalog_unavailable",
        Refusal::EventMovedEarlier { .. } => "would_shorten_retention",
        Refusal::HoldExists { .. } | Refusal::BatchExists { .. } => "already_exists",
        Refusal::UnknownHold { .. } | Refusal::UnknownBatch { .. } => "unknown_record",
        Refusal::HoldReleased { .. } => "hold_released",
        Refusal::HoldIncomplete { .. } => "hold_incomplete",
        Refusal::BatchState { .. } => "batch_state",
        Refusal::SameApprover { .. } => "four_eyes",
        Refusal::AkteInBatch { .. } => "akte_in_batch",
        Refusal::NotDestroyable { .. } => "not_destroyable",
        Refusal::AkteDestroyed { .. } => "akte_destroyed",
    }
}
