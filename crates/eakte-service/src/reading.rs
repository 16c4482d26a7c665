//! Reading records: every read of an Akte's metadata is journaled before it is handed out.

use eakte_catalog::{Akte, Dokument};
use eakte_journal::{Actor, NewEvent, Outcome};
use eakte_types::Aktenzeichen;

use crate::{Service, ServiceError};

/// The action of reading an Akte's metadata and document list.
pub const AKTE_READ: &str = "akte.read";

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
            NewEvent::new(actor.clone(), AKTE_READ, Outcome::Ok)
                .object("akte", akte.id.to_string())
                .detail("documents", documents.len()),
        )?;
        Ok((akte, documents))
    }
}
