//! Filing use cases: import a file plan, create and close Akten, file documents.
//!
//! Each follows the same order: check, store the bytes (durable), append the change to the
//! journal (durable), apply it to the catalog, then update the index and queue extraction. A
//! filing is acknowledged once its original and its journal entry are durable.

use std::io::Read;
use std::path::Path;

use chrono::{Datelike, NaiveDate, Utc};
use eakte_catalog::{
    Akte, Capture, Change, Dokument, Extraction as ExtractionState, FilePlan, Version,
};
use eakte_journal::Actor;
use eakte_store::BlobStore;
use eakte_types::{
    AkteId, AkteStatus, Aktenzeichen, BlobId, Confidentiality, DokumentId, PlanCode, Sha256Digest,
};
use sha2::{Digest, Sha256};
use tracing::{info, instrument};

use crate::{Service, ServiceError};

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
    pub akte: Option<Aktenzeichen>,
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
    pub fn import_plan(&self, actor: &Actor, bytes: &[u8]) -> Result<FilePlan, ServiceError> {
        let plan = FilePlan::from_json(bytes)
            .map_err(|e| ServiceError::input("plan_invalid", format!("invalid file plan: {e}")))?;
        let put = self.parts.store.put(&mut &bytes[..])?;
        let guard = self.parts.write_lock();
        let change = Change::PlanImported {
            blob: put.id,
            plan: plan.clone(),
        };
        self.parts.commit_change(&guard, actor, &change)?;
        info!(plan_version = %plan.plan_version, "file plan imported");
        Ok(plan)
    }

    /// Creates an Akte with the next free Aktenzeichen of its plan code in the current year.
    #[instrument(skip_all, fields(plan = %new.plan_code))]
    pub fn create_akte(&self, actor: &Actor, new: NewAkte) -> Result<Akte, ServiceError> {
        let title = required_text("title", &new.title)?;
        let unit = required_text("unit", &new.unit)?;
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
        self.parts
            .commit_change(&guard, actor, &Change::AkteCreated { akte: akte.clone() })?;
        info!(aktenzeichen = %akte.aktenzeichen, "Akte created");
        Ok(akte)
    }

    /// Closes an Akte (zdA) on `date` (today when absent); its documents stay searchable with
    /// the status `closed`.
    #[instrument(skip_all, fields(aktenzeichen = %aktenzeichen))]
    pub fn close_akte(
        &self,
        actor: &Actor,
        aktenzeichen: &Aktenzeichen,
        date: Option<NaiveDate>,
    ) -> Result<Akte, ServiceError> {
        let akte = self.akte(aktenzeichen)?;
        let closed_on = date.unwrap_or_else(|| Utc::now().date_naive());
        {
            let guard = self.parts.write_lock();
            self.parts.commit_change(
                &guard,
                actor,
                &Change::AkteClosed {
                    id: akte.id,
                    closed_on,
                },
            )?;
        }
        for dokument in self.parts.catalog.dokumente_in(Some(akte.id))? {
            self.parts.reindex(dokument.id);
        }
        self.akte(aktenzeichen)
    }

    /// The Akte with this Aktenzeichen.
    pub fn akte(&self, aktenzeichen: &Aktenzeichen) -> Result<Akte, ServiceError> {
        self.parts
            .catalog
            .akte_by_aktenzeichen(aktenzeichen)?
            .ok_or_else(|| ServiceError::NotFound {
                what: format!("Akte {aktenzeichen}"),
            })
    }

    /// Files one file: stores its bytes, journals and catalogs the document, indexes its
    /// metadata and queues its text extraction. Returns once the original and the journal
    /// entry are durable. A file whose bytes are already filed in the same Akte (or the inbox)
    /// is not filed again.
    // The path is not logged: file names are often citizens' names, and logs cannot be erased.
    #[instrument(skip_all)]
    pub fn file_document(
        &self,
        actor: &Actor,
        path: &Path,
        request: &FileRequest,
    ) -> Result<Filed, ServiceError> {
        let akte = match &request.akte {
            Some(az) => Some(self.akte(az)?),
            None => None,
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
        let (blob, sha256) = digests_of(path, limit)?;
        if let Some(existing) = self.parts.catalog.find_by_sha256(akte_id, &sha256)? {
            return Ok(Filed::AlreadyFiled(existing));
        }
        let title = match &request.title {
            Some(title) => required_text("title", title)?,
            None => path
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
                title,
                doc_type: optional_text("type", request.doc_type.as_deref())?,
                received: request.received,
                sender: optional_text("sender", request.sender.as_deref())?,
                capture: request.capture.clone(),
                original_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
                filed: now,
                versions: vec![Version {
                    number: 1,
                    blob,
                    sha256,
                    size: metadata.len(),
                    media_type: None,
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
            if let Some(existing) = self.parts.catalog.find_by_sha256(akte_id, &sha256)? {
                return Ok(Filed::AlreadyFiled(existing));
            }
            self.parts.commit_change(&guard, actor, &change)?;
        }
        crash_point("after-filing-ack");
        // The title and metadata are searchable at once; the text follows its extraction.
        self.queue.push(id, 1);
        self.parts.reindex(id);
        Ok(Filed::New(id))
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

/// The blob id (blake3, as the store computes it) and the SHA-256 of a file, in one read of at
/// most `limit` + 1 bytes.
fn digests_of(path: &Path, limit: u64) -> Result<(BlobId, Sha256Digest), ServiceError> {
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut reader = file.take(limit + 1);
    let mut blake3 = blake3::Hasher::new();
    let mut sha256 = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buffer).map_err(unreadable)?;
        if n == 0 {
            break;
        }
        blake3.update(&buffer[..n]);
        sha256.update(&buffer[..n]);
    }
    Ok((
        BlobId::from_bytes(*blake3.finalize().as_bytes()),
        Sha256Digest::from_bytes(sha256.finalize().into()),
    ))
}
