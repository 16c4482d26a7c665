//! Full-text search over the records the caller may read.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use eakte_index::{Filter, SearchRequest, Sort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::extract::ApiQuery;
use crate::{ApiError, AppState, ErrorBody, blocking};

/// A search.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// The query: words, `"phrases"`, `AND`/`OR`/`NOT`, `prefix*`, `fuzzy~` (docs/search.md).
    #[param(min_length = 1)]
    q: String,
    /// A plan code: `33.10` exactly, `33.*` with everything below it.
    plan: Option<String>,
    /// Only records of this organisational unit (one of the caller's).
    unit: Option<String>,
    /// Only documents of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    doc_type: Option<String>,
    /// Received on or after this day.
    from: Option<NaiveDate>,
    /// Received on or before this day.
    to: Option<NaiveDate>,
    /// `relevance` (default), `newest` or `oldest` (by received date), `filed_newest`,
    /// `filed_oldest`.
    sort: Option<String>,
    /// Hits per page (default 20, at most 200; 0 only counts).
    #[param(minimum = 0, maximum = 200)]
    limit: Option<usize>,
    /// Hits to skip.
    #[param(minimum = 0)]
    offset: Option<usize>,
}

/// One page of hits.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SearchResultsDto {
    /// Matching records the caller may read, over all pages.
    total: usize,
    /// The hits of this page.
    hits: Vec<HitDto>,
}

/// One hit.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HitDto {
    /// The document.
    #[schema(format = Uuid)]
    document_id: String,
    /// The matching version.
    version: u32,
    /// Its Akte's file number; absent for the inbox.
    aktenzeichen: Option<String>,
    /// The title.
    title: String,
    /// The file plan unit.
    plan_code: Option<String>,
    /// The document type.
    #[serde(rename = "type")]
    doc_type: Option<String>,
    /// The day it was received.
    received: Option<NaiveDate>,
    /// Relevance; 0 when sorted by a date.
    score: f32,
    /// A passage as HTML: matched terms in `<b>`…`</b>`, everything else escaped.
    snippet: String,
}

/// Searches the full text and metadata of the records the caller may read.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResultsDto),
        (status = 400, description = "Bad query, filter or limits", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn search(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResultsDto>, ApiError> {
    let sort = match params.sort.as_deref().unwrap_or("relevance") {
        "relevance" => Sort::Relevance,
        "newest" => Sort::ReceivedNewest,
        "oldest" => Sort::ReceivedOldest,
        "filed_newest" => Sort::FiledNewest,
        "filed_oldest" => Sort::FiledOldest,
        other => {
            return Err(ApiError::bad_request(
                "bad_parameter",
                format!(
                    "sort {other:?}: use relevance, newest, oldest, filed_newest or filed_oldest"
                ),
            ));
        }
    };
    // Every hit shown is named in the journal, which names at most this many per search.
    let limit = params.limit.unwrap_or(20);
    if limit > eakte_service::MAX_LISTED_HITS {
        return Err(ApiError::bad_request(
            "limit",
            format!(
                "limit: at most {} hits per page",
                eakte_service::MAX_LISTED_HITS
            ),
        ));
    }
    let request = SearchRequest {
        query: params.q,
        filter: Filter {
            plan_code: params.plan,
            units: params.unit.map(|u| vec![u]),
            doc_type: params.doc_type,
            received_from: params.from,
            received_to: params.to,
            ..Filter::default()
        },
        sort,
        limit,
        offset: params.offset.unwrap_or(0),
    };
    let results = blocking(&state, move |service| service.search(&who, &request)).await?;
    Ok(Json(SearchResultsDto {
        total: results.total,
        hits: results
            .hits
            .into_iter()
            .map(|hit| HitDto {
                document_id: hit.document_id.to_string(),
                version: hit.version,
                aktenzeichen: hit.aktenzeichen.map(|a| a.to_string()),
                title: hit.title,
                plan_code: hit.plan_code.map(|p| p.to_string()),
                doc_type: hit.doc_type,
                received: hit.received,
                score: hit.score,
                snippet: hit.snippet,
            })
            .collect(),
    }))
}
