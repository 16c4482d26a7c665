//! The values going in and out of the index: documents, search requests, filters and hits.

use chrono::{DateTime, NaiveDate, Utc};
use eakte_types::{AkteStatus, Aktenzeichen, Confidentiality, DokumentId, PlanCode};
use serde::Serialize;

/// One searchable unit: one version of one document with its page texts and the metadata
/// that searches filter and display by.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDoc {
    /// The document.
    pub document_id: DokumentId,
    /// Its version; each version is a separate unit.
    pub version: u32,
    /// The Akte's file number; `None` means the document is in the inbox of unfiled documents.
    pub aktenzeichen: Option<Aktenzeichen>,
    /// The file plan unit of the Akte.
    pub plan_code: Option<PlanCode>,
    /// The document title.
    pub title: String,
    /// The document type (Bescheid, Antrag, ...).
    pub doc_type: Option<String>,
    /// When the document was received (Eingangsdatum).
    pub received: Option<NaiveDate>,
    /// When it was filed.
    pub filed: DateTime<Utc>,
    /// The owning organisational unit.
    pub unit: Option<String>,
    /// Confidentiality of the Akte.
    pub confidentiality: Confidentiality,
    /// Status of the Akte; `None` means inbox.
    pub akte_status: Option<AkteStatus>,
    /// ISO 639-3 guess of the text's language: "deu", "eng", another code or `None`.
    pub language: Option<String>,
    /// The text of each page.
    pub pages: Vec<String>,
}

/// A search: query text, filters, order and the page of hits wanted.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The query in the query language (see the crate documentation).
    pub query: String,
    /// Restrictions that do not influence ranking (access control goes here).
    pub filter: Filter,
    /// Order of hits.
    pub sort: Sort,
    /// Hits per page; 0 only counts.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
}

impl SearchRequest {
    /// A request for the first `limit` hits of `query` by relevance, without filters.
    pub fn new(query: impl Into<String>, limit: usize) -> Self {
        Self {
            query: query.into(),
            filter: Filter::default(),
            sort: Sort::Relevance,
            limit,
            offset: 0,
        }
    }
}

/// Restrictions of a search. Every field that is set must hold for a hit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// `"33.10"` = exactly that code; `"33.*"` = that code and all below it (`33`, `33.x...`);
    /// `"33*"` = every code starting with `33` (as [`PlanCode::is_within`] nests).
    pub plan_code: Option<String>,
    /// Only documents of one of these units; an empty list matches nothing.
    pub units: Option<Vec<String>>,
    /// Only documents of this type (case-insensitive).
    pub doc_type: Option<String>,
    /// Received on or after this day.
    pub received_from: Option<NaiveDate>,
    /// Received on or before this day.
    pub received_to: Option<NaiveDate>,
    /// Filed on or after this day (UTC).
    pub filed_from: Option<NaiveDate>,
    /// Filed on or before this day (UTC).
    pub filed_to: Option<NaiveDate>,
    /// Only documents at most this confidential.
    pub max_confidentiality: Option<Confidentiality>,
}

/// Order of hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Latest received first; documents without a received date last.
    ReceivedNewest,
    /// Earliest received first; documents without a received date last.
    ReceivedOldest,
    /// Latest filed first.
    FiledNewest,
    /// Earliest filed first.
    FiledOldest,
}

/// One page of hits and the exact number of matching units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// How many units match, over all pages.
    pub total: usize,
    /// The hits of the requested page.
    pub hits: Vec<Hit>,
}

/// One matching document version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The document.
    pub document_id: DokumentId,
    /// The matching version.
    pub version: u32,
    /// File number of its Akte; `None` for the inbox.
    pub aktenzeichen: Option<Aktenzeichen>,
    /// Title.
    pub title: String,
    /// File plan unit.
    pub plan_code: Option<PlanCode>,
    /// Document type.
    pub doc_type: Option<String>,
    /// Received date.
    pub received: Option<NaiveDate>,
    /// Relevance score; 0 when sorted by a date.
    pub score: f32,
    /// A short HTML passage: matched terms in `<b>`…`</b>`, everything else escaped.
    pub snippet: String,
}
