//! Operations: health, metrics, the OpenAPI document, and the answers for unknown routes.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::{ApiError, AppState, ErrorBody, blocking};

/// The server's health.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthDto {
    /// `ok`.
    status: String,
    /// Entries in the journal.
    journal_entries: u64,
    /// Extractions queued or running.
    pending_extractions: usize,
}

/// Whether the server is up and its journal readable. Needs no token.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = HealthDto), (status = 503, body = ErrorBody)))]
pub(crate) async fn healthz(
    State(state): State<Arc<AppState>>,
) -> Result<Json<HealthDto>, ApiError> {
    let (journal_entries, pending_extractions) = blocking(&state, |service| {
        Ok((service.journal().size(), service.pending()))
    })
    .await?;
    Ok(Json(HealthDto {
        status: "ok".into(),
        journal_entries,
        pending_extractions,
    }))
}

/// Prometheus metrics in the text exposition format. Needs no token and says nothing about
/// records; keep it behind the proxy like everything else.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let text = state.metrics.render(&state.service)?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)))]
pub(crate) async fn openapi() -> Response {
    Json(crate::openapi::ApiDoc::openapi()).into_response()
}

/// No such route.
pub(crate) async fn no_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_route",
        "no such endpoint; see /api/v1/openapi.json",
    )
}

/// The route exists, not with this method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "the endpoint does not take this method; see /api/v1/openapi.json",
    )
}
