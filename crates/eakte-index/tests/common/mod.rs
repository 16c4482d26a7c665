//! Shared helpers of the integration tests: a small index in a temporary folder.

#![allow(dead_code)]

use chrono::{NaiveDate, TimeZone, Utc};
use eakte_config::IndexConfig;
use eakte_index::{IndexDoc, SearchIndex, SearchRequest, SearchResults};
use eakte_types::{AkteStatus, Confidentiality, DokumentId};

/// A config small enough for tests: one writer thread with the minimum arena.
pub fn config() -> IndexConfig {
    IndexConfig {
        writer_threads: 1,
        writer_memory_bytes: 15 << 20,
        ..IndexConfig::default()
    }
}

/// A German document in Akte 33.10-0042/2026 with the given title and one page of text.
pub fn doc(title: &str, text: &str) -> IndexDoc {
    IndexDoc {
        document_id: DokumentId::new_random(),
        version: 1,
        aktenzeichen: Some("33.10-0042/2026".parse().unwrap()),
        plan_code: Some("33.10".parse().unwrap()),
        title: title.to_owned(),
        doc_type: Some("Bescheid".to_owned()),
        received: NaiveDate::from_ymd_opt(2026, 2, 3),
        filed: Utc.with_ymd_and_hms(2026, 2, 4, 10, 0, 0).unwrap(),
        unit: Some("FB33".to_owned()),
        confidentiality: Confidentiality::Offen,
        akte_status: Some(AkteStatus::Open),
        language: Some("deu".to_owned()),
        pages: vec![text.to_owned()],
    }
}

/// An index in a temporary folder holding `docs`, committed.
pub fn index_with(docs: &[IndexDoc]) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config()).unwrap();
    for d in docs {
        index.upsert(d).unwrap();
    }
    index.commit().unwrap();
    (dir, index)
}

/// The hits of `query` (first 100).
pub fn search(index: &SearchIndex, query: &str) -> SearchResults {
    index
        .search(&SearchRequest::new(query, 100))
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
}

/// The ids of the hits of `query`, in order.
pub fn ids(index: &SearchIndex, query: &str) -> Vec<DokumentId> {
    search(index, query)
        .hits
        .into_iter()
        .map(|h| h.document_id)
        .collect()
}
