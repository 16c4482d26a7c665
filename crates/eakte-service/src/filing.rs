//! Filing use cases: import a file plan, create and close Akten, file documents.
//!
//! Each follows the same order: check, store the bytes (durable), append the change to the
//! journal (durable), apply it to the catalog, then update the index and queue extraction. A
//! filing is acknowledged once its original and its journal entry are durable.

use std::io::Read;
use std::path::Path;

use chrono::{Datelike, NaiveDate, Utc};
use eakte_catalog::{
    Akte, Capture, Change, Dokument, Extraction as ExtractionState, FilePlan, Version, Vorgang,
};
use eakte_journal::{NewEvent, Outcome, action};
use eakte_store::BlobStore;
use eakte_types::{
    AkteId, AkteStatus, Aktenzeichen, BlobId, Confidentiality, DokumentId, PlanCode, Sha256Digest,
    VorgangId,
};
use sha2::{Digest, Sha256};
use tracing::{info, instrument};

use crate::access::{Hidden, Principal, Right, Role};
use crate::{Service, ServiceError};

/// An Akte named by its UUID or its Aktenzeichen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AkteKey {
    /// Its permanent id.
    Id(AkteId),
    /// Its file number.
    Aktenzeichen(Aktenzeichen),
}

impl std::str::FromStr for AkteKey {
    type Err = ServiceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(id) = text.parse() {
            return Ok(Self::Id(id));
        }
        text.parse().map(Self::Aktenzeichen).map_err(|_| {
            ServiceError::input(
                "bad_akte",
                format!("{text:?} is neither a UUID nor an Aktenzeichen such as 33.12-0001/2026"),
            )
        })
    }
}

impl std::fmt::Display for AkteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => id.fmt(f),
            Self::Aktenzeichen(az) => az.fmt(f),
        }
    }
}

impl From<Aktenzeichen> for AkteKey {
    fn from(az: Aktenzeichen) -> Self {
        Self::Aktenzeichen(az)
    }
}

/// Which Akten to list; every given filter must match.
#[derive(Debug, Clone, Default)]
pub struct AktenFilter {
    /// That plan code or below it.
    pub plan: Option<PlanCode>,
    /// Open or closed.
    pub status: Option<AkteStatus>,
    /// Of this unit.
    pub unit: Option<String>,
}

/// A new Akte.
#[derive(Debug, Clone)]
pub struct NewAkte {
    /// The file plan unit it belongs to.
    pub plan_code: PlanCode,
    /// Its title.
    pub title: String,
    /// The owning organisational unit.
    pub unit: String,
    /// Its confidentiality level.
    pub confidentiality: Confidentiality,
}

/// A file to file.
#[derive(Debug, Clone, Default)]
pub struct FileRequest {
    /// The Akte to file into; `None` files into the inbox of unfiled documents.
    pub akte: Option<AkteKey>,
    /// The unit whose inbox receives a document filed without an Akte (default: the caller's
    /// only unit).
    pub unit: Option<String>,
    /// The SHA-256 the sender computed; the filing is refused if the bytes differ.
    pub expected_sha256: Option<Sha256Digest>,
    /// The name the file arrived with (default: the name of `path`).
    pub original_name: Option<String>,
    /// The document's title; the file name when absent.
    pub title: Option<String>,
    /// The document type, such as `Meldebescheinigung`.
    pub doc_type: Option<String>,
    /// When the document was received.
    pub received: Option<NaiveDate>,
    /// Who sent it.
    pub sender: Option<String>,
    /// The scanning station's transfer note.
    pub capture: Option<Capture>,
}

/// What filing one file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    /// Filed as a new document; its text is extracted in the background.
    New(DokumentId),
    /// The same bytes were already filed in that Akte (or the inbox): nothing was done.
    AlreadyFiled(DokumentId),
}

impl Filed {
    /// The document id.
    pub fn id(self) -> DokumentId {
        match self {
            Self::New(id) | Self::AlreadyFiled(id) => id,
        }
    }
}

impl Service {
    /// Imports a file plan (the JSON of `schemas/file-plan.v1.json`); it replaces the current one.
    /// The file is kept in the store and named by the journal entry.
    #[instrument(skip_all)]
    pub fn import_plan(&self, who: &Principal, bytes: &[u8]) -> Result<FilePlan, ServiceError> {
        self.require(who, Right::ManagePlan)?;
        let plan = FilePlan::from_json(bytes)
            .map_err(|e| ServiceError::input("plan_invalid", format!("invalid file plan: {e}")))?;
        self.check_plan_rules(who, &plan)?;
        let put = self.parts.store.put(&mut &bytes[..])?;
        let guard = self.parts.write_lock();
        let change = Change::PlanImported {
            blob: put.id,
            plan: plan.clone(),
        };
        self.parts.commit_change(&guard, &who.actor(), &change)?;
        info!(plan_version = %plan.plan_version, "file plan imported");
        Ok(plan)
    }

    /// The file plan in force, if one was imported.
    pub fn plan(&self, who: &Principal) -> Result<Option<FilePlan>, ServiceError> {
        self.require(who, Right::ReadPlan)?;
        Ok(self.parts.catalog.plan()?)
    }

    /// Creates an Akte with the next free Aktenzeichen of its plan code in the current year, in
    /// one of the creator's units and at most as confidential as the creator's clearance.
    #[instrument(skip_all, fields(plan = %new.plan_code))]
    pub fn create_akte(&self, who: &Principal, new: NewAkte) -> Result<Akte, ServiceError> {
        self.require(who, Right::FileRecords)?;
        let title = required_text("title", &new.title)?;
        let unit = required_text("unit", &new.unit)?;
        if !who.reaches_unit(&unit) || new.confidentiality > who.clearance {
            return Err(self.deny(who, Right::FileRecords, "unit_or_clearance")?);
        }
        let now = Utc::now();
        let year = u16::try_from(now.year()).unwrap_or(u16::MAX);
        let guard = self.parts.write_lock();
        let aktenzeichen = self.parts.catalog.next_aktenzeichen(&new.plan_code, year)?;
        let akte = Akte {
            id: AkteId::new_random(),
            aktenzeichen,
            plan_code: new.plan_code,
            title,
            unit,
            confidentiality: new.confidentiality,
            status: AkteStatus::Open,
            created: now,
            closed_on: None,
            domain_dates: Default::default(),
        };
        self.parts.commit_change(
            &guard,
            &who.actor(),
            &Change::AkteCreated { akte: akte.clone() },
        )?;
        info!(aktenzeichen = %akte.aktenzeichen, "Akte created");
        Ok(akte)
    }

    /// Closes an Akte (zdA) on `date` (today when absent); its documents stay searchable with
    /// the status `closed`.
    #[instrument(skip_all, fields(akte = %key))]
    pub fn close_akte(
        &self,
        who: &Principal,
        key: &AkteKey,
        date: Option<NaiveDate>,
    ) -> Result<Akte, ServiceError> {
        self.require(who, Right::CloseAkte)?;
        let akte = self.reachable_akte(who, Right::CloseAkte, key)?;
        let closed_on = date.unwrap_or_else(crate::service::office_today);
        {
            let guard = self.parts.write_lock();
            self.parts.commit_change(
                &guard,
                &who.actor(),
                &Change::AkteClosed {
                    id: akte.id,
                    closed_on,
                },
            )?;
        }
        for dokument in self.parts.catalog.dokumente_in(Some(akte.id))? {
            self.parts.reindex(dokument.id);
        }
        self.parts.akte(&AkteKey::Id(akte.id))
    }

    /// Creates a Vorgang in an open Akte the caller reaches.
    pub fn create_vorgang(
        &self,
        who: &Principal,
        key: &AkteKey,
        title: &str,
    ) -> Result<Vorgang, ServiceError> {
        self.require(who, Right::FileRecords)?;
        let title = required_text("title", title)?;
        let akte = self.reachable_akte(who, Right::FileRecords, key)?;
        let vorgang = Vorgang {
            id: VorgangId::new_random(),
            akte_id: akte.id,
            title,
            created: Utc::now(),
        };
        let guard = self.parts.write_lock();
        self.parts.commit_change(
            &guard,
            &who.actor(),
            &Change::VorgangCreated {
                vorgang: vorgang.clone(),
            },
        )?;
        Ok(vorgang)
    }

    /// Files a document waiting in the inbox into an open Akte (and a Vorgang of it); both must
    /// be within the caller's reach.
    pub fn assign_document(
        &self,
        who: &Principal,
        id: DokumentId,
        key: &AkteKey,
        vorgang: Option<VorgangId>,
    ) -> Result<Dokument, ServiceError> {
        self.require(who, Right::FileRecords)?;
        self.reachable_document(who, Right::FileRecords, id)?;
        let akte = self.reachable_akte(who, Right::FileRecords, key)?;
        {
            let guard = self.parts.write_lock();
            self.parts.commit_change(
                &guard,
                &who.actor(),
                &Change::DokumentAssigned {
                    id,
                    akte_id: akte.id,
                    vorgang_id: vorgang,
                },
            )?;
        }
        self.parts.reindex(id);
        self.parts.dokument(id)
    }

    /// The documents waiting in the inboxes the caller reaches; the listing is journaled.
    pub fn inbox(&self, who: &Principal) -> Result<Vec<Dokument>, ServiceError> {
        self.require(who, Right::ReadInbox)?;
        let documents: Vec<Dokument> = self
            .parts
            .catalog
            .dokumente_in(None)?
            .into_iter()
            .filter(|d| who.reaches_document(d, None))
            .collect();
        let mut event = NewEvent::new(who.actor(), action::INBOX_LISTED, Outcome::Ok)
            .detail("documents", documents.len());
        if documents.len() <= crate::search::MAX_LISTED_HITS {
            for d in &documents {
                event = event.object("document", d.id.to_string());
            }
        }
        self.parts.journal.append(event)?;
        Ok(documents)
    }

    /// The Akten the caller reaches that match the filter; the listing is journaled.
    pub fn list_akten(
        &self,
        who: &Principal,
        filter: &AktenFilter,
    ) -> Result<Vec<Akte>, ServiceError> {
        self.require(who, Right::ReadMetadata)?;
        let akten: Vec<Akte> = self
            .parts
            .catalog
            .akten()?
            .into_iter()
            .filter(|a| who.reaches_akte(a))
            .filter(|a| {
                filter
                    .plan
                    .as_ref()
                    .is_none_or(|p| a.plan_code.is_within(p))
            })
            .filter(|a| filter.status.is_none_or(|s| a.status == s))
            .filter(|a| filter.unit.as_ref().is_none_or(|u| &a.unit == u))
            .collect();
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::AKTEN_LISTED, Outcome::Ok)
                .detail("akten", akten.len())
                .detail("plan_filter", filter.plan.as_ref().map(|p| p.to_string()))
                .detail("unit_filter", filter.unit.clone()),
        )?;
        Ok(akten)
    }

    /// An Akte within the caller's reach for `right`, else the journaled `NotFound`.
    pub(crate) fn reachable_akte(
        &self,
        who: &Principal,
        right: Right,
        key: &AkteKey,
    ) -> Result<Akte, ServiceError> {
        let akte = match key {
            AkteKey::Id(id) => self.parts.catalog.akte(*id)?,
            AkteKey::Aktenzeichen(az) => self.parts.catalog.akte_by_aktenzeichen(az)?,
        };
        match akte {
            Some(akte) if who.reaches_akte(&akte) => Ok(akte),
            Some(_) => Err(self.hide(who, right, "akte", &key.to_string(), Hidden::OutOfReach)),
            None => Err(self.hide(who, right, "akte", &key.to_string(), Hidden::Unknown)),
        }
    }

    /// A document (with its Akte) within the caller's reach for `right`, else the journaled
    /// `NotFound`.
    pub(crate) fn reachable_document(
        &self,
        who: &Principal,
        right: Right,
        id: DokumentId,
    ) -> Result<(Dokument, Option<Akte>), ServiceError> {
        let Some(dokument) = self.parts.catalog.dokument(id)? else {
            return Err(self.hide(who, right, "document", &id.to_string(), Hidden::Unknown));
        };
        let akte = match dokument.akte_id {
            Some(akte) => self.parts.catalog.akte(akte)?,
            None => None,
        };
        if !who.reaches_document(&dokument, akte.as_ref()) {
            return Err(self.hide(who, right, "document", &id.to_string(), Hidden::OutOfReach));
        }
        Ok((dokument, akte))
    }

    /// Whether the caller may file into `akte` (or, without one, into an inbox), with the Akte
    /// it reaches: the first checks of [`file_document`](Self::file_document), which the API also
    /// makes before it receives an upload's body, so that nobody without the right makes the
    /// server spool a large body. A refusal is journaled as any other.
    pub fn may_file_into(
        &self,
        who: &Principal,
        akte: Option<&AkteKey>,
    ) -> Result<Option<Akte>, ServiceError> {
        match akte {
            Some(key) => {
                self.require(who, Right::FileRecords)?;
                Ok(Some(self.reachable_akte(who, Right::FileRecords, key)?))
            }
            None => {
                if !who.role.has(Right::FileRecords) {
                    self.require(who, Right::UploadToInbox)?;
                }
                Ok(None)
            }
        }
    }

    /// Files one file: stores its bytes, journals and catalogs the document, indexes its
    /// metadata and queues its text extraction. Returns once the original and the journal
    /// entry are durable. A file whose bytes are already filed in the same Akte (or the inbox)
    /// is not filed again.
    // The path is not logged: file names are often citizens' names, and logs cannot be erased.
    #[instrument(skip_all)]
    pub fn file_document(
        &self,
        who: &Principal,
        path: &Path,
        request: &FileRequest,
    ) -> Result<Filed, ServiceError> {
        let akte = self.may_file_into(who, request.akte.as_ref())?;
        let inbox_unit = match akte {
            Some(_) => None,
            None => self.inbox_unit(who, request.unit.as_deref())?,
        };
        let akte_id = akte.as_ref().map(|a| a.id);
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        if !metadata.is_file() {
            return Err(ServiceError::input(
                "not_a_file",
                "not a regular file".to_owned(),
            ));
        }
        let limit = self.parts.config.filing.max_file_bytes;
        if metadata.len() > limit {
            return Err(ServiceError::input(
                "file_too_large",
                format!(
                    "the file has {} bytes, more than the limit of {limit} (filing.max_file_bytes)",
                    metadata.len()
                ),
            ));
        }
        let Digests {
            blob,
            sha256,
            media_type,
        } = digests_of(path, limit)?;
        if let Some(expected) = &request.expected_sha256
            && *expected != sha256
        {
            return Err(ServiceError::input(
                "sha256_mismatch",
                format!("the bytes have SHA-256 {sha256}, not the {expected} given"),
            ));
        }
        if let Some(existing) = self.already_filed(akte_id, inbox_unit.as_deref(), &sha256)? {
            return Ok(Filed::AlreadyFiled(existing));
        }
        let title = match (&request.title, &request.original_name) {
            (Some(title), _) | (None, Some(title)) => required_text("title", title)?,
            (None, None) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Dokument".to_owned()),
        };
        let now = Utc::now();
        let id = DokumentId::new_random();
        let change = Change::DokumentFiled {
            dokument: Dokument {
                id,
                akte_id,
                vorgang_id: None,
                unit: inbox_unit.clone(),
                title,
                doc_type: optional_text("type", request.doc_type.as_deref())?,
                received: request.received,
                sender: optional_text("sender", request.sender.as_deref())?,
                capture: request.capture.clone(),
                original_name: match &request.original_name {
                    Some(name) => Some(required_text("file name", name)?),
                    None => path.file_name().map(|n| n.to_string_lossy().into_owned()),
                },
                filed: now,
                versions: vec![Version {
                    number: 1,
                    blob,
                    sha256,
                    size: metadata.len(),
                    media_type: Some(media_type.to_owned()),
                    filed: now,
                    extraction: ExtractionState::Pending,
                }],
            },
        };
        // The whole change is checked (a closed or unknown Akte, …) before any byte is stored,
        // so that a refused directory leaves nothing behind; commit_change checks it again
        // under the write lock.
        self.parts
            .catalog
            .try_check(&change)
            .map_err(ServiceError::Catalog)??;
        let mut file = std::fs::File::open(path).map_err(unreadable)?;
        let put = self.parts.store.put(&mut file.by_ref().take(limit + 1))?;
        if (put.id, put.len) != (blob, metadata.len()) {
            return Err(ServiceError::input(
                "file_changed",
                "the file changed while it was being filed; file it again".to_owned(),
            ));
        }
        {
            let guard = self.parts.write_lock();
            // Checked again under the lock: two filings of the same bytes may have raced.
            if let Some(existing) = self.already_filed(akte_id, inbox_unit.as_deref(), &sha256)? {
                return Ok(Filed::AlreadyFiled(existing));
            }
            self.parts.commit_change(&guard, &who.actor(), &change)?;
        }
        crash_point("after-filing-ack");
        // The title and metadata are searchable at once; the text follows its extraction.
        self.queue.push(id, 1);
        self.parts.reindex(id);
        Ok(Filed::New(id))
    }

    /// The inbox a filing without an Akte goes to: the given unit, or the caller's only unit.
    /// Scanners and clerks file into the inboxes of their own units only; the command line may
    /// file into an inbox without a unit.
    fn inbox_unit(
        &self,
        who: &Principal,
        unit: Option<&str>,
    ) -> Result<Option<String>, ServiceError> {
        // The role was checked by `may_file_into`.
        let unit = match unit {
            Some(unit) => Some(required_text("unit", unit)?),
            None if who.role == Role::Operator => None,
            None => match who.units.as_slice() {
                [only] => Some(only.clone()),
                _ => {
                    return Err(ServiceError::input(
                        "unit_required",
                        "name the unit whose inbox receives the document",
                    ));
                }
            },
        };
        if let Some(unit) = &unit
            && !who.reaches_unit(unit)
        {
            return Err(self.deny(who, Right::UploadToInbox, "unit")?);
        }
        Ok(unit)
    }

    /// A document with these bytes already filed in that Akte, or in that unit's inbox.
    fn already_filed(
        &self,
        akte: Option<AkteId>,
        inbox_unit: Option<&str>,
        sha256: &Sha256Digest,
    ) -> Result<Option<DokumentId>, ServiceError> {
        for id in self.parts.catalog.find_by_sha256(akte, sha256)? {
            if akte.is_some() || self.parts.dokument(id)?.unit.as_deref() == inbox_unit {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }
}

/// Test hook: exits the process at once, as a crash would, when `EAKTE_CRASH_AT` names this
/// point. Used by the crash tests to stop between "acknowledged" and "indexed".
fn crash_point(name: &str) {
    if std::env::var_os("EAKTE_CRASH_AT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}

fn required_text(field: &str, text: &str) -> Result<String, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::input(
            "missing_field",
            format!("the {field} must not be empty"),
        ));
    }
    if text.len() > 1024 {
        return Err(ServiceError::input(
            "field_too_long",
            format!("the {field} has more than 1024 bytes"),
        ));
    }
    Ok(text.to_owned())
}

fn optional_text(field: &str, text: Option<&str>) -> Result<Option<String>, ServiceError> {
    text.map(|t| required_text(field, t)).transpose()
}

fn unreadable(e: std::io::Error) -> ServiceError {
    ServiceError::input("unreadable", format!("cannot read the file: {e}"))
}

/// Bytes at the start of a file its media type is told from.
const SNIFF_BYTES: usize = 8 << 10;

/// What a file's bytes say about it: the blob id (blake3, as the store computes it), the
/// SHA-256, and the media type sniffed from its first bytes (never from its name), in one read
/// of at most `limit` + 1 bytes.
struct Digests {
    blob: BlobId,
    sha256: Sha256Digest,
    media_type: &'static str,
}

fn digests_of(path: &Path, limit: u64) -> Result<Digests, ServiceError> {
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut reader = file.take(limit + 1);
    let mut blake3 = blake3::Hasher::new();
    let mut sha256 = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    loop {
        let n = reader.read(&mut buffer).map_err(unreadable)?;
        if n == 0 {
            break;
        }
        let wanted = (SNIFF_BYTES - head.len()).min(n);
        head.extend_from_slice(&buffer[..wanted]);
        blake3.update(&buffer[..n]);
        sha256.update(&buffer[..n]);
    }
    Ok(Digests {
        blob: BlobId::from_bytes(*blake3.finalize().as_bytes()),
        sha256: Sha256Digest::from_bytes(sha256.finalize().into()),
        media_type: eakte_extract::Format::sniff(&head).map_or(
            "application/octet-stream",
            eakte_extract::Format::media_type,
        ),
    })
}
