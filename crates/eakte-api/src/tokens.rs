//! Token administration for admins while the server runs (the data directory is the server's
//! then, so the command line's `eakte token` cannot open it).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use eakte_service::Role;
use eakte_service::tokens::NewToken;
use eakte_types::Confidentiality;

use crate::auth::Caller;
use crate::dto::{CreatedTokenDto, NewTokenDto, TokenDto};
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState, ErrorBody, blocking};

/// Every token, revoked ones included (never a secret).
#[utoipa::path(get, path = "/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenDto>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    let records = blocking(&state, move |service| service.list_tokens(&who)).await?;
    Ok(Json(records.iter().map(TokenDto::from).collect()))
}

/// Creates a token; the answer is the only place its text is shown.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = NewTokenDto,
    responses((status = 201, body = CreatedTokenDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<NewTokenDto>,
) -> Result<(StatusCode, Json<CreatedTokenDto>), ApiError> {
    let role = Role::of_token(&body.role).ok_or_else(|| {
        ApiError::unprocessable(
            "bad_role",
            format!(
                "role {:?}: use scanner, clerk, records_manager, auditor or admin",
                body.role
            ),
        )
    })?;
    let clearance = match &body.clearance {
        Some(text) => text.parse().map_err(|e: eakte_types::RecordParseError| {
            ApiError::unprocessable("bad_clearance", e.to_string())
        })?,
        None => Confidentiality::Offen,
    };
    let new = NewToken {
        user: body.user,
        role,
        units: body.units,
        clearance,
    };
    let (record, token) = blocking(&state, move |service| service.create_token(&who, new)).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenDto {
            token,
            record: TokenDto::from(&record),
        }),
    ))
}

/// Revokes a token; requests with it fail from now on.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "The token's public id (16 hex digits)")),
    responses((status = 200, body = TokenDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn revoke(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> Result<Json<TokenDto>, ApiError> {
    let record = blocking(&state, move |service| service.revoke_token(&who, &id)).await?;
    Ok(Json(TokenDto::from(&record)))
}
