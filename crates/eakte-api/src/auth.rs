//! The caller of a request: its bearer token, authenticated by the service (which journals
//! every failure), and the address it came from.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use eakte_service::Principal;

use crate::{ApiError, AppState, blocking};

/// The authenticated caller; a handler that takes it answers 401 without a valid token.
pub(crate) struct Caller(pub Principal);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip().to_string());
        // A header that is there but not a bearer token counts as a malformed token.
        let token = parts.headers.get(AUTHORIZATION).map(|value| {
            value
                .to_str()
                .ok()
                .and_then(|text| text.strip_prefix("Bearer "))
                .map(|token| token.trim().to_owned())
                .unwrap_or_default()
        });
        let principal = blocking(state, move |service| {
            service.authenticate(token.as_deref(), client)
        })
        .await?;
        Ok(Self(principal))
    }
}
