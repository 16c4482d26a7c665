//! Who may do what: the roles, the principal a request acts as, and the checks every use case
//! makes before it touches a record.
//!
//! Two kinds of refusal (ADR 0010): a role that never may do something is refused with
//! [`ServiceError::Forbidden`], which reveals nothing about any object; an object outside the
//! caller's units or clearance is answered exactly as an object that does not exist
//! ([`ServiceError::NotFound`]), so that nobody learns of a foreign record by guessing its id.
//! Both are journaled (`access.denied`) before the answer leaves the service.

use std::fmt;

use eakte_catalog::{Akte, Dokument};
use eakte_journal::{Actor, NewEvent, Outcome, action};
use eakte_types::Confidentiality;
use serde::{Deserialize, Serialize};

use crate::{Service, ServiceError};

/// A role: a fixed set of rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A scanning station: uploads into the inbox of its units; reads nothing.
    Scanner,
    /// Files, reads and searches the records of its units up to its clearance.
    Clerk,
    /// The file plan, closing Akten, holds, retention and disposition; metadata of all units.
    RecordsManager,
    /// The journal and metadata; no document content.
    Auditor,
    /// Tokens and configuration; no document content.
    Admin,
    /// The local command line, run by someone with the data directory in hand: every right.
    Operator,
}

impl Role {
    /// The roles a token can carry (all but the command line's `operator`).
    pub const TOKEN_ROLES: [Role; 5] = [
        Role::Scanner,
        Role::Clerk,
        Role::RecordsManager,
        Role::Auditor,
        Role::Admin,
    ];

    /// The name in tokens, the journal and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scanner => "scanner",
            Self::Clerk => "clerk",
            Self::RecordsManager => "records_manager",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
            Self::Operator => "operator",
        }
    }

    /// The role of a token with this name (`operator` is not one).
    pub fn of_token(name: &str) -> Option<Role> {
        Self::TOKEN_ROLES.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether the role has a right at all (on some object).
    pub fn has(self, right: Right) -> bool {
        use Right::*;
        match self {
            Self::Operator => true,
            Self::Scanner => matches!(right, UploadToInbox),
            Self::Clerk => matches!(
                right,
                ReadPlan
                    | ReadMetadata
                    | ReadInbox
                    | ReadContent
                    | Search
                    | FileRecords
                    | RecordEvents
                    | ReadRetention
            ),
            Self::RecordsManager => matches!(
                right,
                ReadPlan
                    | ReadMetadata
                    | ReadInbox
                    | ManagePlan
                    | CloseAkte
                    | RecordEvents
                    | ReadRetention
                    | ReadDisposition
                    | ManageRetention
            ),
            Self::Auditor => matches!(
                right,
                ReadPlan | ReadMetadata | ReadJournal | ReadRetention | ReadDisposition
            ),
            Self::Admin => matches!(right, ReadPlan | ManageTokens),
        }
    }

    /// Whether the role reaches the records of every unit (else only those of its own units).
    fn reaches_every_unit(self) -> bool {
        matches!(
            self,
            Self::RecordsManager | Self::Auditor | Self::Admin | Self::Operator
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a use case needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// Upload a scan into the inbox of one's unit.
    UploadToInbox,
    /// List the documents waiting in an inbox.
    ReadInbox,
    /// Create Akten and Vorgänge, file documents, assign documents from the inbox.
    FileRecords,
    /// Read the file plan.
    ReadPlan,
    /// Read the metadata of Akten and documents.
    ReadMetadata,
    /// Read what documents say: their bytes and their text.
    ReadContent,
    /// Search the full text (hits come with snippets of the text).
    Search,
    /// Import the file plan.
    ManagePlan,
    /// Close Akten (zdA).
    CloseAkte,
    /// Read the journal: events, checkpoints, proofs, exports.
    ReadJournal,
    /// Create, list and revoke API tokens.
    ManageTokens,
    /// Maintenance of the data directory (demo, dump): the command line only.
    Maintain,
    /// Record events of an Akte that retention periods start from (a person moved away, …).
    RecordEvents,
    /// Read the retention state of Akten within reach and the due list of them.
    ReadRetention,
    /// Read the holds and the disposition batches of every unit.
    ReadDisposition,
    /// Adopt retention rules, set and release holds, propose, approve and carry out disposition.
    ManageRetention,
}

impl Right {
    fn as_str(self) -> &'static str {
        match self {
            Self::UploadToInbox => "upload_to_inbox",
            Self::ReadInbox => "read_inbox",
            Self::FileRecords => "file_records",
            Self::ReadPlan => "read_plan",
            Self::ReadMetadata => "read_metadata",
            Self::ReadContent => "read_content",
            Self::Search => "search",
            Self::ManagePlan => "manage_plan",
            Self::CloseAkte => "close_akte",
            Self::ReadJournal => "read_journal",
            Self::ManageTokens => "manage_tokens",
            Self::Maintain => "maintain",
            Self::RecordEvents => "record_events",
            Self::ReadRetention => "read_retention",
            Self::ReadDisposition => "read_disposition",
            Self::ManageRetention => "manage_retention",
        }
    }
}

/// Who a request acts as: a user in a role, for some organisational units, up to a clearance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user id (an account name).
    pub user: String,
    /// The role.
    pub role: Role,
    /// The organisational units the user acts for.
    pub units: Vec<String>,
    /// The most confidential records the user may see.
    pub clearance: Confidentiality,
    /// Where the request came from (an address, or `cli …`).
    pub client: Option<String>,
}

impl Principal {
    /// The command line's principal: the person at the terminal, with every right.
    pub fn operator(actor: Actor) -> Self {
        Self {
            user: actor.user,
            role: Role::Operator,
            units: Vec::new(),
            clearance: Confidentiality::Vertraulich,
            client: actor.client,
        }
    }

    /// The actor journal entries name.
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.user.clone(),
            role: self.role.as_str().to_owned(),
            unit: (!self.units.is_empty()).then(|| self.units.join("; ")),
            client: self.client.clone(),
        }
    }

    /// Whether the principal reaches records of `unit` (by role, or as one of its units).
    pub fn reaches_unit(&self, unit: &str) -> bool {
        self.role.reaches_every_unit() || self.units.iter().any(|u| u == unit)
    }

    /// Whether the principal may see an Akte (and, with the right, what is in it).
    pub fn reaches_akte(&self, akte: &Akte) -> bool {
        self.reaches_unit(&akte.unit) && akte.confidentiality <= self.clearance
    }

    /// Whether the principal may see a document: through its Akte, or, while it waits in the
    /// inbox, through the inbox's unit (inbox documents count as `offen`). An inbox document
    /// without a unit (filed by the command line) is reached by roles of every unit only.
    pub fn reaches_document(&self, dokument: &Dokument, akte: Option<&Akte>) -> bool {
        match akte {
            Some(akte) => self.reaches_akte(akte),
            None => match &dokument.unit {
                Some(unit) => self.reaches_unit(unit),
                None => self.role.reaches_every_unit(),
            },
        }
    }
}

/// Why an object was hidden, as the journal records it (the caller only sees "not found").
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hidden {
    /// No such object.
    Unknown,
    /// It exists, outside the caller's units or clearance.
    OutOfReach,
}

impl Service {
    /// Refuses (403, journaled) unless the principal's role has `right`.
    pub(crate) fn require(&self, who: &Principal, right: Right) -> Result<(), ServiceError> {
        if who.role.has(right) {
            return Ok(());
        }
        Err(self.deny(who, right, "role")?)
    }

    /// Journals a refusal of `right` to the principal (for `reason`: `role`, `unit`, …) and
    /// returns the `Forbidden` to answer with; `Err` if the journal cannot take the entry.
    pub(crate) fn deny(
        &self,
        who: &Principal,
        right: Right,
        reason: &'static str,
    ) -> Result<ServiceError, ServiceError> {
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::ACCESS_DENIED, Outcome::Denied)
                .detail("right", right.as_str())
                .detail("reason", reason),
        )?;
        Ok(ServiceError::Forbidden {
            right: right.as_str(),
        })
    }

    /// Journals that an object was hidden from the principal and returns the `NotFound` the
    /// caller sees, the same whether the object exists or not. A journal that cannot take the
    /// entry turns the answer into a journal error.
    pub(crate) fn hide(
        &self,
        who: &Principal,
        right: Right,
        kind: &str,
        id: &str,
        why: Hidden,
    ) -> ServiceError {
        let reason = match why {
            Hidden::Unknown => "unknown_object",
            Hidden::OutOfReach => "out_of_reach",
        };
        let event = NewEvent::new(who.actor(), action::ACCESS_DENIED, Outcome::Denied)
            .detail("right", right.as_str())
            .detail("reason", reason);
        // An id that is not a clean object id (a mistyped Aktenzeichen) goes to the payload.
        let event = if is_object_id(id) {
            event.object(kind, id)
        } else {
            event.personal("requested", id)
        };
        if let Err(e) = self.parts.journal.append(event) {
            return ServiceError::Journal(e);
        }
        ServiceError::NotFound {
            what: format!("{kind} {id}"),
        }
    }
}

fn is_object_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/' | b'_'))
}
