//! Reading records: every read of an Akte's metadata is journaled before it is handed out.

use eakte_catalog::{Akte, Dokument};
use eakte_journal::{Actor, NewEvent, Outcome, action};
use eakte_types::Aktenzeichen;

use crate::{Service, ServiceError};

impl Service {
    /// An Akte with its documents; the read is journaled first (fail closed).
    pub fn read_akte(
        &self,
        actor: &Actor,
        aktenzeichen: &Aktenzeichen,
    ) -> Result<(Akte, Vec<Dokument>), ServiceError> {
        let akte = self.akte(aktenzeichen)?;
        let documents = self.parts.catalog.dokumente_in(Some(akte.id))?;
        self.parts.journal.append(
            NewEvent::new(actor.clone(), action::AKTE_READ, Outcome::Ok)
                .object("akte", akte.id.to_string())
                .detail("documents", documents.len()),
        )?;
        Ok((akte, documents))
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
}

impl Service {
    /// A document with its Akte and, when `with_text`, the extracted text of its latest
    /// version; the read (`document.read`) is journaled before anything is handed out.
    pub fn read_document(
        &self,
        actor: &Actor,
        id: eakte_types::DokumentId,
        with_text: bool,
    ) -> Result<DocumentView, ServiceError> {
        let dokument = self.parts.dokument(id)?;
        let akte = match dokument.akte_id {
            Some(akte) => self.parts.catalog.akte(akte)?,
            None => None,
        };
        let rendition = match dokument.latest().map(|v| &v.extraction) {
            Some(eakte_catalog::Extraction::Done { rendition, .. }) if with_text => {
                Some(*rendition)
            }
            _ => None,
        };
        self.parts.journal.append(
            NewEvent::new(actor.clone(), action::DOCUMENT_READ, Outcome::Ok)
                .object("document", id.to_string())
                .detail("text", rendition.is_some()),
        )?;
        let text = rendition
            .map(|blob| self.parts.rendition(&blob))
            .transpose()?;
        Ok(DocumentView {
            dokument,
            akte,
            text,
        })
    }
}
