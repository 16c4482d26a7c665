//! Reading records: every read is checked against the caller's reach and journaled before
//! anything is handed out (fail closed).

use eakte_catalog::{Akte, Dokument, Version, Vorgang};
use eakte_journal::{NewEvent, Outcome, action};
use eakte_store::BlobReader;
use eakte_types::DokumentId;

use crate::access::{Principal, Right};
use crate::{AkteKey, Service, ServiceError};

/// An Akte as shown to a reader: its record, its Vorgänge and its documents.
#[derive(Debug, Clone)]
pub struct AkteView {
    /// The Akte.
    pub akte: Akte,
    /// Its Vorgänge.
    pub vorgaenge: Vec<Vorgang>,
    /// Its documents.
    pub documents: Vec<Dokument>,
}

impl Service {
    /// An Akte with its Vorgänge and documents (metadata only).
    pub fn read_akte(&self, who: &Principal, key: &AkteKey) -> Result<AkteView, ServiceError> {
        self.require(who, Right::ReadMetadata)?;
        let akte = self.reachable_akte(who, Right::ReadMetadata, key)?;
        let documents = self.parts.catalog.dokumente_in(Some(akte.id))?;
        let vorgaenge = self.parts.catalog.vorgaenge(akte.id)?;
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::AKTE_READ, Outcome::Ok)
                .object("akte", akte.id.to_string())
                .detail("documents", documents.len()),
        )?;
        Ok(AkteView {
            akte,
            vorgaenge,
            documents,
        })
    }
}

/// A document as shown to a reader: its record, its Akte, and on request the extracted text of
/// its latest version.
#[derive(Debug, Clone)]
pub struct DocumentView {
    /// The document.
    pub dokument: Dokument,
    /// Its Akte; `None` in the inbox.
    pub akte: Option<Akte>,
    /// The extraction result of the latest version, when asked for and extracted.
    pub text: Option<eakte_extract::Extraction>,
    /// How each page of the latest version was read (without its text), once extracted.
    pub pages: Vec<PageQuality>,
}

/// How one page was read: where its text came from and how sure OCR was (no text).
#[derive(Debug, Clone, PartialEq)]
pub struct PageQuality {
    /// 1-based page number.
    pub number: u32,
    /// Where the text came from.
    pub source: eakte_extract::PageSource,
    /// Tesseract's mean word confidence (0–100), for OCR'd pages.
    pub confidence: Option<f32>,
    /// Degrees the page was turned before OCR.
    pub rotation: u16,
    /// The error code, when the page yielded no text.
    pub error: Option<&'static str>,
}

/// The original bytes of one version, ready to stream.
pub struct Content {
    /// The document.
    pub dokument: Dokument,
    /// The version whose bytes these are.
    pub version: Version,
    /// The verified bytes.
    pub reader: BlobReader,
}

impl Service {
    /// A document with its Akte and, when `with_text`, the extracted text of its latest
    /// version; the read (`document.read`) is journaled before anything is handed out. The text
    /// needs the right to read content; the metadata the right to read metadata.
    pub fn read_document(
        &self,
        who: &Principal,
        id: DokumentId,
        with_text: bool,
    ) -> Result<DocumentView, ServiceError> {
        let right = if with_text {
            Right::ReadContent
        } else {
            Right::ReadMetadata
        };
        self.require(who, right)?;
        let (dokument, akte) = self.reachable_document(who, right, id)?;
        let rendition = match dokument.latest().map(|v| &v.extraction) {
            Some(eakte_catalog::Extraction::Done { rendition, .. }) => Some(*rendition),
            _ => None,
        };
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::DOCUMENT_READ, Outcome::Ok)
                .object("document", id.to_string())
                .detail("text", with_text && rendition.is_some()),
        )?;
        let extraction = rendition
            .map(|blob| self.parts.rendition(&blob))
            .transpose()?;
        let pages = extraction
            .iter()
            .flat_map(|x| &x.pages)
            .map(|page| PageQuality {
                number: page.number,
                source: page.source,
                confidence: page.confidence,
                rotation: page.rotation,
                error: page.error.as_ref().map(eakte_extract::ExtractError::code),
            })
            .collect();
        Ok(DocumentView {
            dokument,
            akte,
            text: extraction.filter(|_| with_text),
            pages,
        })
    }

    /// The original bytes of a version (the latest when `version` is `None`), journaled as
    /// `document.downloaded` before the first byte is handed out.
    pub fn document_content(
        &self,
        who: &Principal,
        id: DokumentId,
        version: Option<u32>,
    ) -> Result<Content, ServiceError> {
        self.require(who, Right::ReadContent)?;
        let (dokument, _) = self.reachable_document(who, Right::ReadContent, id)?;
        let found = match version {
            Some(number) => dokument.version(number),
            None => dokument.latest(),
        };
        let Some(version) = found.cloned() else {
            return Err(ServiceError::NotFound {
                what: format!("version {} of document {id}", version.unwrap_or(0)),
            });
        };
        let reader = self.parts.store.open_blob(&version.blob)?;
        self.parts.journal.append(
            NewEvent::new(who.actor(), action::DOCUMENT_DOWNLOADED, Outcome::Ok)
                .object("document", id.to_string())
                .object("blob", version.blob.to_string())
                .detail("version", version.number),
        )?;
        Ok(Content {
            dokument,
            version,
            reader,
        })
    }
}
