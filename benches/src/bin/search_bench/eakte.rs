//! eakte-index on the corpus: the build, the query set, and time-to-searchable under steady ingest.

use std::path::Path;
use std::time::{Duration, Instant};

use eakte_config::IndexConfig;
use eakte_index::{Filter, IndexDoc, SearchIndex, SearchRequest, Sort};
use eakte_types::{AkteStatus, Confidentiality, DokumentId};

use crate::corpus::{CorpusReader, Doc};
use crate::fts::Answer;
use crate::queries::Query;

/// The index directory inside an engine's directory.
pub fn index_dir(dir: &Path) -> std::path::PathBuf {
    dir.join("eakte-index")
}

/// A UUID-shaped id from a number, so that ids are the same in every run.
fn uuid_of(n: u64, kind: u8) -> String {
    format!("00000000-0000-4{kind:03x}-8000-{n:012x}")
}

/// The index document for a generated one; pages are the body's form-feed separated parts.
pub fn index_doc(doc: &Doc) -> anyhow::Result<IndexDoc> {
    Ok(IndexDoc {
        document_id: uuid_of(doc.number, 1).parse::<DokumentId>()?,
        version: 1,
        aktenzeichen: Some(doc.aktenzeichen.parse()?),
        plan_code: Some(doc.plan_code.parse()?),
        title: doc.title.clone(),
        doc_type: Some(doc.doc_type.clone()),
        received: Some(doc.received),
        filed: doc.filed,
        unit: Some(doc.unit.clone()),
        confidentiality: match doc.confidentiality {
            0 => Confidentiality::Offen,
            1 => Confidentiality::Nfd,
            _ => Confidentiality::Vertraulich,
        },
        akte_status: Some(AkteStatus::Open),
        language: Some("deu".to_owned()),
        pages: doc.body.split('\u{c}').map(str::to_owned).collect(),
    })
}

/// What the build left behind.
#[derive(Debug, Clone, Copy)]
pub struct BuildFacts {
    /// Documents in the index after the commit.
    pub docs: u64,
    /// Segments after the commit.
    pub segments: u64,
}

/// Indexes a corpus file as a rebuild does: a bulk load of units known to be new, then one
/// merge into a single segment, as FTS5's build ends with `optimize`.
pub fn build(corpus: &Path, dir: &Path) -> anyhow::Result<BuildFacts> {
    let index = SearchIndex::open_bulk(&index_dir(dir), &IndexConfig::default())?;
    let mut reader = CorpusReader::open(corpus)?;
    while let Some(doc) = reader.next_doc()? {
        index.add_new(&index_doc(&doc)?)?;
    }
    index.force_merge()?;
    let facts = BuildFacts {
        docs: index.num_docs(),
        segments: index.segment_count() as u64,
    };
    index.close()?;
    Ok(facts)
}

/// The request for one query: top 10 by relevance with its metadata conditions.
pub fn request(q: &Query) -> SearchRequest {
    let c = &q.conditions;
    SearchRequest {
        query: q.eakte.clone(),
        filter: Filter {
            plan_code: c.plan_prefix.as_ref().map(|p| format!("{p}.*")),
            doc_type: c.doc_type.clone(),
            received_from: c.received.map(|(f, _)| f),
            received_to: c.received.map(|(_, t)| t),
            ..Filter::default()
        },
        sort: Sort::Relevance,
        limit: 10,
        offset: 0,
    }
}

/// Runs every query and times each; a query eakte refuses counts as an error, not as a hit.
pub fn search(dir: &Path, queries: &[Query]) -> anyhow::Result<(Vec<Option<Answer>>, Vec<String>)> {
    let index = SearchIndex::open(&index_dir(dir), &IndexConfig::default())?;
    let mut out = Vec::with_capacity(queries.len());
    let mut errors = Vec::new();
    for q in queries {
        let req = request(q);
        let start = Instant::now();
        match index.search(&req) {
            Ok(results) => out.push(Some(Answer {
                latency: start.elapsed(),
                total: results.total as u64,
                hits: results.hits.len(),
            })),
            Err(e) => {
                errors.push(format!("{}: {e}", q.eakte));
                out.push(None);
            }
        }
    }
    index.close()?;
    Ok((out, errors))
}

/// The token that only document `n` of the ingest phase carries.
pub fn unique_token(n: u64) -> String {
    // Letters only, so that no tokenizer splits it and no stemmer shortens it to another's.
    let mut s = String::from("zqx");
    let mut v = n;
    for _ in 0..6 {
        s.push((b'a' + (v % 26) as u8) as char);
        v /= 26;
    }
    s.push_str("qz");
    s
}

/// Time-to-searchable under a steady ingest of `rate` documents per second for `seconds`: each
/// document carries a unique token; a second thread ingests while this one searches for every
/// pending token about every 10 ms. `docs(i)` is the i-th document to ingest; its number must be new to the index.
/// Returns the delay from each upsert to the first search that found it, and how
/// many documents were never found within 30 s of the end.
pub fn time_to_searchable(
    dir: &Path,
    docs: impl Fn(u64) -> Doc + Sync,
    rate: u64,
    seconds: u64,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let index = SearchIndex::open(&index_dir(dir), &IndexConfig::default())?;
    let total = rate * seconds;
    let (tx, rx) = std::sync::mpsc::channel::<(u64, Instant)>();
    let outcome = std::thread::scope(|scope| -> anyhow::Result<(Vec<Duration>, usize)> {
        let index = &index;
        let docs = &docs;
        let ingest = scope.spawn(move || -> anyhow::Result<()> {
            let start = Instant::now();
            for i in 0..total {
                let due = start + Duration::from_micros(i * 1_000_000 / rate);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let mut doc = docs(i);
                let n = doc.number;
                doc.body
                    .push_str(&format!("\nKennung {}\n", unique_token(n)));
                let doc = index_doc(&doc)?;
                index.upsert(&doc)?;
                // The clock starts when upsert returns: the document is handed over.
                if tx.send((n, Instant::now())).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let mut pending: Vec<(u64, Instant)> = Vec::new();
        let mut delays = Vec::with_capacity(total as usize);
        let mut found: Vec<(u64, Duration)> = Vec::new();
        let mut ingest_done_at: Option<Instant> = None;
        loop {
            while let Ok(p) = rx.try_recv() {
                pending.push(p);
            }
            if ingest.is_finished() && ingest_done_at.is_none() {
                ingest_done_at = Some(Instant::now());
            }
            if pending.is_empty() && ingest_done_at.is_some() {
                break;
            }
            if ingest_done_at.is_some_and(|t| t.elapsed() > Duration::from_secs(30)) {
                break;
            }
            // One OR query of all pending tokens per poll; the hits say which were found.
            for chunk_start in (0..pending.len()).step_by(100) {
                let chunk = &pending[chunk_start..(chunk_start + 100).min(pending.len())];
                let query = chunk
                    .iter()
                    .map(|(i, _)| unique_token(*i))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                let results = index.search(&SearchRequest::new(query, chunk.len()))?;
                let now = Instant::now();
                let ids: Vec<String> = results
                    .hits
                    .iter()
                    .map(|h| h.document_id.to_string())
                    .collect();
                found.extend(
                    chunk
                        .iter()
                        .filter(|(i, _)| ids.contains(&uuid_of(*i, 1)))
                        .map(|(i, at)| (*i, now.duration_since(*at))),
                );
            }
            for (i, delay) in found.drain(..) {
                delays.push(delay);
                pending.retain(|(p, _)| *p != i);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        ingest
            .join()
            .map_err(|_| anyhow::anyhow!("the ingest thread panicked"))??;
        Ok((delays, pending.len()))
    })?;
    index.close()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_tokens_differ_and_are_letters() {
        let tokens: std::collections::HashSet<String> = (0..10_000).map(unique_token).collect();
        assert_eq!(tokens.len(), 10_000);
        assert!(
            tokens
                .iter()
                .all(|t| t.chars().all(|c| c.is_ascii_lowercase()))
        );
    }

    #[test]
    fn index_docs_keep_the_metadata() {
        let generator = crate::corpus::Generator::new(9, 100);
        let doc = generator.doc(42);
        let idx = index_doc(&doc).unwrap();
        assert_eq!(idx.aktenzeichen.unwrap().to_string(), doc.aktenzeichen);
        assert_eq!(idx.pages.join("\u{c}"), doc.body);
        assert_ne!(
            index_doc(&generator.doc(43)).unwrap().document_id,
            idx.document_id
        );
    }
}
