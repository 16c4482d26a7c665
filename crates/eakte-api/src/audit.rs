//! The auditor's endpoints: journal events, signed checkpoints, proofs and the export.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use eakte_journal::PayloadState;
use eakte_journal::{Query, StoredEvent};
use eakte_service::ServiceError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::extract::ApiQuery;
use crate::{ApiError, AppState, ErrorBody, blocking};

/// Which events.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventParams {
    /// The actor's user id.
    actor: Option<String>,
    /// An object id the event concerns (a document or Akte UUID, a blob id, …).
    object: Option<String>,
    /// The action, such as `document.read` or `access.denied`.
    action: Option<String>,
    /// Not before this time (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Not after this time (RFC 3339).
    to: Option<DateTime<Utc>>,
    /// At most this many events, the oldest first (default and maximum 1000).
    #[param(minimum = 0, maximum = 1000)]
    limit: Option<usize>,
}

/// Who did something.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ActorDto {
    /// The user id.
    user: String,
    /// The role acted in.
    role: String,
    /// The organisational unit(s).
    unit: Option<String>,
    /// Where the request came from.
    client: Option<String>,
}

/// An object an event concerns.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ObjectDto {
    /// The kind, such as `document`.
    kind: String,
    /// Its id.
    id: String,
}

/// One journal event.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EventDto {
    /// The sequence number (leaf index).
    seq: u64,
    /// When (RFC 3339, UTC).
    time: String,
    /// Who.
    actor: ActorDto,
    /// What, such as `document.read`.
    action: String,
    /// Which objects.
    objects: Vec<ObjectDto>,
    /// `ok`, `denied` or `error`.
    outcome: String,
    /// Facts without personal data.
    #[schema(value_type = Object)]
    details: serde_json::Map<String, serde_json::Value>,
    /// `none`, `present` or `erased`: the state of the event's personal-data payload.
    payload: String,
    /// The personal data, while not erased.
    #[schema(value_type = Option<Object>)]
    personal: Option<serde_json::Value>,
}

impl From<StoredEvent> for EventDto {
    fn from(event: StoredEvent) -> Self {
        let entry = event.entry;
        Self {
            seq: entry.seq,
            time: entry.time,
            actor: ActorDto {
                user: entry.actor.user,
                role: entry.actor.role,
                unit: entry.actor.unit,
                client: entry.actor.client,
            },
            action: entry.action,
            objects: entry
                .objects
                .into_iter()
                .map(|o| ObjectDto {
                    kind: o.kind,
                    id: o.id,
                })
                .collect(),
            outcome: entry.outcome.to_string(),
            details: entry.details,
            payload: match &event.payload {
                PayloadState::None => "none",
                PayloadState::Present(_) => "present",
                PayloadState::Erased => "erased",
            }
            .to_owned(),
            personal: event.payload.data(),
        }
    }
}

/// Journal events matching every given filter, the oldest first.
#[utoipa::path(get, path = "/audit/events", tag = "audit", params(EventParams),
    responses((status = 200, body = Vec<EventDto>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn events(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiQuery(params): ApiQuery<EventParams>,
) -> Result<Json<Vec<EventDto>>, ApiError> {
    if params
        .limit
        .is_some_and(|limit| limit > eakte_service::MAX_EVENTS)
    {
        return Err(ApiError::bad_request(
            "bad_parameter",
            format!(
                "limit: at most {} events per answer",
                eakte_service::MAX_EVENTS
            ),
        ));
    }
    let query = Query {
        actor: params.actor,
        object: params.object,
        action: params.action,
        from: params.from,
        to: params.to,
        limit: params.limit,
    };
    let events = blocking(&state, move |service| service.audit_events(&who, &query)).await?;
    Ok(Json(events.into_iter().map(EventDto::from).collect()))
}

/// A signed tree head of the whole journal.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CheckpointDto {
    /// Which journal.
    origin: String,
    /// Entries the tree covers.
    size: u64,
    /// The tree's root, hex.
    root: String,
    /// When it was signed.
    time: String,
    /// Ed25519 signature, hex.
    signature: String,
    /// The journal's public key, as `eakte audit verify --key` takes it.
    public_key: String,
}

/// A freshly signed checkpoint of the journal, with the key that verifies it.
#[utoipa::path(get, path = "/audit/checkpoint", tag = "audit",
    responses((status = 200, body = CheckpointDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn checkpoint(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
) -> Result<Json<CheckpointDto>, ApiError> {
    let (checkpoint, public_key) = blocking(&state, move |service| {
        Ok((
            service.audit_checkpoint(&who)?,
            service.audit_public_key(&who)?,
        ))
    })
    .await?;
    Ok(Json(CheckpointDto {
        origin: checkpoint.origin,
        size: checkpoint.size,
        root: checkpoint.root,
        time: checkpoint.time,
        signature: checkpoint.signature,
        public_key,
    }))
}

/// A Merkle audit path.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProofDto {
    /// The hashes of the proof, hex, in RFC 9162 order.
    hashes: Vec<String>,
}

/// Which inclusion proof.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct InclusionParams {
    /// The entry (leaf index).
    #[param(minimum = 0)]
    index: u64,
    /// The tree size (at most the journal's size).
    #[param(minimum = 1)]
    size: u64,
}

/// The inclusion proof of entry `index` in the tree of the first `size` entries.
#[utoipa::path(get, path = "/audit/proof/inclusion", tag = "audit", params(InclusionParams),
    responses((status = 200, body = ProofDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "Sizes out of range", body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn inclusion(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiQuery(params): ApiQuery<InclusionParams>,
) -> Result<Json<ProofDto>, ApiError> {
    let proof = blocking(&state, move |service| {
        service.audit_inclusion_proof(&who, params.index, params.size)
    })
    .await?;
    Ok(Json(ProofDto {
        hashes: proof.iter().map(hex::encode).collect(),
    }))
}

/// Which consistency proof.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ConsistencyParams {
    /// The older tree size (at least 1).
    #[param(minimum = 1)]
    from: u64,
    /// The newer tree size (at most the journal's size).
    #[param(minimum = 1)]
    to: u64,
}

/// The consistency proof between the trees of the first `from` and `to` entries.
#[utoipa::path(get, path = "/audit/proof/consistency", tag = "audit", params(ConsistencyParams),
    responses((status = 200, body = ProofDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "Sizes out of range", body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn consistency(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiQuery(params): ApiQuery<ConsistencyParams>,
) -> Result<Json<ProofDto>, ApiError> {
    let proof = blocking(&state, move |service| {
        service.audit_consistency_proof(&who, params.from, params.to)
    })
    .await?;
    Ok(Json(ProofDto {
        hashes: proof.iter().map(hex::encode).collect(),
    }))
}

/// Which part of the journal to export.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportParams {
    /// From this time (RFC 3339), widened to the checkpoint before it.
    from: Option<DateTime<Utc>>,
    /// To this time (RFC 3339), widened to the checkpoint after it.
    to: Option<DateTime<Utc>>,
}

/// The name of the export's folder inside the tar file.
const EXPORT_DIR: &str = "journal-export";
/// The journal's public key, beside the folder in the tar file.
const KEY_FILE: &str = "public-key.txt";

/// A tar file with an export of the journal: unpacked, `eakte audit verify journal-export
/// --key public-key.txt` verifies it offline (check the key against one
/// obtained independently).
#[utoipa::path(get, path = "/audit/export", tag = "audit", params(ExportParams),
    responses(
        (status = 200, description = "A tar file holding the folder journal-export and public-key.txt", content_type = "application/x-tar", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn export(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let scratch_parent = state.upload_dir.clone();
    let tar_file = blocking(&state, move |service| {
        let io = |context: &str| {
            let context = context.to_owned();
            move |e: std::io::Error| ServiceError::Internal(format!("{context}: {e}"))
        };
        let scratch = tempfile::Builder::new()
            .prefix("export-")
            .tempdir_in(&scratch_parent)
            .map_err(io("cannot make a scratch folder"))?;
        let dir = scratch.path().join(EXPORT_DIR);
        service.audit_export(&who, &dir, params.from, params.to)?;
        let key_file = scratch.path().join(KEY_FILE);
        std::fs::write(&key_file, format!("{}\n", service.audit_public_key(&who)?))
            .map_err(io("cannot write the key"))?;
        let tar_file = tempfile::Builder::new()
            .prefix("export-")
            .suffix(".tar")
            .tempfile_in(&scratch_parent)
            .map_err(io("cannot make the tar file"))?;
        let mut builder = tar::Builder::new(tar_file.as_file().try_clone().map_err(io("tar"))?);
        builder.mode(tar::HeaderMode::Deterministic);
        builder
            .append_dir_all(EXPORT_DIR, &dir)
            .and_then(|()| builder.append_path_with_name(&key_file, KEY_FILE))
            .and_then(|()| builder.into_inner().map(drop))
            .map_err(io("cannot write the tar file"))?;
        Ok(tar_file)
    })
    .await?;
    // The tar file is read through an open handle; its name is removed at once, so that no
    // copy of the journal's personal data outlives the download.
    let (mut file, path) = tar_file.into_parts();
    drop(path);
    // The builder wrote through a duplicate of the handle, which shares its offset.
    std::io::Seek::rewind(&mut file).map_err(ApiError::internal)?;
    let size = file.metadata().map_err(ApiError::internal)?.len();
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"journal-export.tar\""),
    );
    headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from_str(&size.to_string()).map_err(ApiError::internal)?,
    );
    Ok(response)
}
