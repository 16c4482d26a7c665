//! The one error body of the API, `{"error": {"code": "...", "message": "..."}}`, and the HTTP
//! status of every service error code (docs/api.md lists them).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use eakte_service::ServiceError;
use serde::Serialize;
use tracing::error;
use utoipa::ToSchema;

/// An answer that is not a success: a status, a stable machine code and a message for people.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code, such as `not_found` or `transfer_note_invalid`.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// The `Content-Range` of a 416 answer (`bytes */SIZE`).
    pub content_range: Option<String>,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, such as `not_found`, `forbidden` or `bad_request`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// A 400: the request itself is malformed (syntax, types, unknown fields).
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A 422: the request is well-formed but its content cannot be used.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// An answer with this status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            content_range: None,
        }
    }

    /// A 500 for trouble inside the server; the details go to the log, not to the caller.
    pub fn internal(what: impl std::fmt::Display) -> Self {
        error!(error = %what, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the log has the details",
        )
    }

    /// The status of a service error code.
    fn status_of(error: &ServiceError) -> StatusCode {
        match error.code() {
            "unauthenticated" => StatusCode::UNAUTHORIZED,
            "forbidden" => StatusCode::FORBIDDEN,
            "not_found" => StatusCode::NOT_FOUND,
            "file_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
            "akte_closed"
            | "not_in_inbox"
            | "already_exists"
            | "hold_released"
            | "batch_state"
            | "four_eyes"
            | "akte_in_batch"
            | "not_destroyable"
            | "would_shorten_retention"
            | "rules_would_shorten" => StatusCode::CONFLICT,
            "akte_destroyed" => StatusCode::GONE,
            "journal_unavailable" | "catalog_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            "bad_query" | "bad_filter" | "limit" => StatusCode::BAD_REQUEST,
            "internal" | "corruption" => StatusCode::INTERNAL_SERVER_ERROR,
            _ if error.is_caller_error() => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let status = Self::status_of(&error);
        if status.is_server_error() {
            error!(code = error.code(), error = %error, "request failed");
        }
        let message = match status {
            // The system's trouble is logged in full; the caller learns only what kind it was.
            StatusCode::INTERNAL_SERVER_ERROR => {
                "the server failed; the log has the details".into()
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                "the journal or catalog cannot be written now; nothing was done".into()
            }
            _ => error.to_string(),
        };
        Self {
            status,
            code: error.code(),
            message,
            content_range: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(range) = self
            .content_range
            .as_deref()
            .and_then(|r| HeaderValue::from_str(r).ok())
        {
            response.headers_mut().insert(header::CONTENT_RANGE, range);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"eakte\""),
            );
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}
