//! From catalog records and stored renditions to the index's searchable units.

use eakte_catalog::{Akte, Dokument, Extraction as ExtractionState};
use eakte_index::IndexDoc;
use eakte_types::{Confidentiality, DokumentId};

use crate::ServiceError;
use crate::service::Parts;

/// (Re-)indexes every version of a document with its Akte's current metadata and, where the
/// text is extracted, its pages. Idempotent, unless `fresh` (the index is known not to hold
/// the document yet, as in a rebuild): then units are added without looking for old copies.
pub(crate) fn index_document(
    parts: &Parts,
    id: DokumentId,
    fresh: bool,
) -> Result<(), ServiceError> {
    // Reading the catalog and writing the index happen under the document's stripe lock: two
    // threads re-indexing one document (an Akte closed while its document's text is recorded)
    // would otherwise let the one that read the older state write last.
    let _stripe = parts.index_stripe(id);
    // A document destroyed by disposition (or never applied) leaves the index.
    let Some(dokument) = parts.catalog.dokument(id)? else {
        parts.index.delete_document(id)?;
        return Ok(());
    };
    let akte = match dokument.akte_id {
        Some(akte_id) => parts.catalog.akte(akte_id)?,
        None => None,
    };
    for version in &dokument.versions {
        let (pages, language) = match &version.extraction {
            ExtractionState::Done {
                rendition,
                language,
                ..
            } => {
                let pages = parts.rendition(rendition)?.pages;
                (
                    pages.into_iter().map(|p| p.text).collect(),
                    language.clone(),
                )
            }
            ExtractionState::Pending | ExtractionState::Failed { .. } => (Vec::new(), None),
        };
        let doc = index_doc(&dokument, akte.as_ref(), version.number, pages, language);
        if fresh {
            parts.index.add_new(&doc)?;
        } else {
            parts.index.upsert(&doc)?;
        }
    }
    Ok(())
}

fn index_doc(
    dokument: &Dokument,
    akte: Option<&Akte>,
    version: u32,
    pages: Vec<String>,
    language: Option<String>,
) -> IndexDoc {
    IndexDoc {
        document_id: dokument.id,
        version,
        aktenzeichen: akte.map(|a| a.aktenzeichen.clone()),
        plan_code: akte.map(|a| a.plan_code.clone()),
        title: dokument.title.clone(),
        doc_type: dokument.doc_type.clone(),
        received: dokument.received,
        filed: dokument.filed,
        unit: akte.map(|a| a.unit.clone()),
        confidentiality: akte.map_or(Confidentiality::Offen, |a| a.confidentiality),
        akte_status: akte.map(|a| a.status),
        language,
        pages,
    }
}
