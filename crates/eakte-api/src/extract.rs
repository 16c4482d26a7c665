//! Extractors whose rejections are answered with the API's error body: path ids, query strings
//! and JSON bodies.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use eakte_service::AkteKey;
use eakte_types::DokumentId;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// A query string, parsed into `T`; unknown parameters and bad values are a 400.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| {
                ApiError::bad_request("bad_parameter", rejection.body_text())
            })
    }
}

/// A JSON body parsed into `T`: malformed JSON is a 400, JSON of the wrong shape (unknown
/// fields, wrong types) a 422, another content type a 415.
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(value)| Self(value))
            .map_err(|rejection: JsonRejection| {
                let (status, code) = match rejection.status() {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                    }
                    StatusCode::PAYLOAD_TOO_LARGE => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
                    StatusCode::UNPROCESSABLE_ENTITY => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                    }
                    _ => (StatusCode::BAD_REQUEST, "bad_json"),
                };
                ApiError::new(status, code, rejection.body_text())
            })
    }
}

/// The one parameter of a path (`{id}`); a path that cannot be decoded is a 400 `bad_id`.
pub(crate) struct ApiPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|rejection| ApiError::bad_request("bad_id", rejection.body_text()))
    }
}

/// A document id from the path.
pub(crate) fn document_id(text: &str) -> Result<DokumentId, ApiError> {
    text.parse().map_err(|_| {
        ApiError::bad_request("bad_id", format!("{text:?} is not a document id (a UUID)"))
    })
}

/// An Akte from the path: its UUID or its Aktenzeichen (with the slash percent-encoded).
pub(crate) fn akte_key(text: &str) -> Result<AkteKey, ApiError> {
    text.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_id",
            format!("{text:?} is neither a UUID nor an Aktenzeichen such as 33.12-0001/2026"),
        )
    })
}
