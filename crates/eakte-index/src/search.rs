//! Running a [`SearchRequest`]: limits, query and filters, collection of the top hits with
//! the exact total, and the hits' stored fields and snippets.

use std::cell::Cell;

use eakte_types::{Aktenzeichen, DokumentId, PlanCode};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::schema::{Field, Value};
use tantivy::{DateTime, DocAddress, Order, Searcher, TantivyDocument};

use crate::error::IndexError;
use crate::index::Shared;
use crate::model::{Hit, SearchRequest, SearchResults, Sort};
use crate::query::build::Builder;
use crate::query::parse::parse;
use crate::schema;
use crate::snippet::Highlighter;

fn check_limits(shared: &Shared, request: &SearchRequest) -> Result<(), IndexError> {
    let config = &shared.config;
    if request.query.len() > config.max_query_bytes {
        return Err(IndexError::Limit(format!(
            "query is {} bytes, at most {} are allowed",
            request.query.len(),
            config.max_query_bytes
        )));
    }
    let depth = request.offset.checked_add(request.limit);
    if depth.is_none_or(|d| d > config.max_results) {
        return Err(IndexError::Limit(format!(
            "offset + limit must be at most {}",
            config.max_results
        )));
    }
    Ok(())
}

pub(crate) fn search(
    shared: &Shared,
    request: &SearchRequest,
) -> Result<SearchResults, IndexError> {
    check_limits(shared, request)?;
    let node = parse(&request.query)?;
    let searcher = shared.reader.searcher();
    let builder = Builder {
        fields: &shared.fields,
        analyzers: &shared.analyzers,
        searcher: &searcher,
        expanded: Cell::new(0),
        fuzzy: Cell::new(0),
    };
    let Some(query) = builder.query(&node)? else {
        return Err(IndexError::query("the query has no searchable words", 0));
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
    for filter in builder.filter(&request.filter)? {
        // Filters restrict but must not change the ranking.
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
    }
    let query = BooleanQuery::new(clauses);
    let (total, found) = collect(&searcher, &query, request)?;
    if found.is_empty() {
        // Nothing to highlight: the query words need not be analysed again.
        return Ok(SearchResults {
            total,
            hits: Vec::new(),
        });
    }
    let highlighter = Highlighter::new(&node, &shared.analyzers);
    let hits = found
        .into_iter()
        .map(|(score, address)| hit(shared, &searcher, &highlighter, score, address))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SearchResults { total, hits })
}

type Found = Vec<(f32, DocAddress)>;

fn collect(
    searcher: &Searcher,
    query: &dyn Query,
    request: &SearchRequest,
) -> Result<(usize, Found), IndexError> {
    if request.limit == 0 {
        return Ok((searcher.search(query, &Count)?, Vec::new()));
    }
    let top = || TopDocs::with_limit(request.limit).and_offset(request.offset);
    let by_date = |field: &str, order: Order| -> Result<(usize, Found), IndexError> {
        let (docs, total) = searcher.search(
            query,
            &(top().order_by_fast_field::<DateTime>(field, order), Count),
        )?;
        Ok((total, docs.into_iter().map(|(_, a)| (0.0, a)).collect()))
    };
    match request.sort {
        Sort::Relevance => {
            let (docs, total) = searcher.search(query, &(top().order_by_score(), Count))?;
            Ok((total, docs))
        }
        Sort::ReceivedNewest => by_date("received", Order::Desc),
        Sort::ReceivedOldest => by_date("received", Order::Asc),
        Sort::FiledNewest => by_date("filed", Order::Desc),
        Sort::FiledOldest => by_date("filed", Order::Asc),
    }
}

fn text(doc: &TantivyDocument, field: Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

fn parsed<T: std::str::FromStr>(
    doc: &TantivyDocument,
    field: Field,
    what: &str,
) -> Result<Option<T>, IndexError> {
    text(doc, field)
        .map(|s| {
            s.parse()
                .map_err(|_| IndexError::Corruption(format!("stored {what} {s:?} is invalid")))
        })
        .transpose()
}

fn hit(
    shared: &Shared,
    searcher: &Searcher,
    highlighter: &Highlighter,
    score: f32,
    address: DocAddress,
) -> Result<Hit, IndexError> {
    let f = &shared.fields;
    let doc: TantivyDocument = searcher.doc(address)?;
    let document_id = parsed::<DokumentId>(&doc, f.doc_id, "document id")?
        .ok_or_else(|| IndexError::Corruption("unit without document id".to_owned()))?;
    let version = doc
        .get_first(f.version)
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| IndexError::Corruption("unit without version".to_owned()))?;
    let title = text(&doc, f.title).unwrap_or_default().to_owned();
    let body = text(&doc, f.body).unwrap_or_default();
    Ok(Hit {
        document_id,
        version,
        aktenzeichen: parsed::<Aktenzeichen>(&doc, f.az, "aktenzeichen")?,
        plan_code: parsed::<PlanCode>(&doc, f.plan, "plan code")?,
        doc_type: text(&doc, f.doc_type).map(str::to_owned),
        received: doc
            .get_first(f.received)
            .and_then(|v| v.as_datetime())
            .and_then(schema::to_day),
        score,
        snippet: highlighter.snippet(&shared.analyzers, body, &title),
        title,
    })
}
