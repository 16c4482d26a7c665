//! Inbox, file plan and Akten: uploads of scanning stations, filing by clerks, the file plan.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use eakte_catalog::Capture;
use eakte_service::{AktenFilter, FileRequest, Filed, NewAkte, ServiceError};
use eakte_types::{AkteStatus, Confidentiality, PlanCode, Sha256Digest};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::dto::{
    AkteDetailDto, AkteDto, AktenParams, AssignDto, CloseAkteDto, DocumentDto, ExtractionDto,
    FiledDto, NewAkteDto, NewVorgangDto, PlanDto, PlanUnitDto, VorgangDto,
};
use crate::extract::{ApiJson, ApiPath, ApiQuery, akte_key, document_id};
use crate::upload::{self, ApiMultipart, Upload};
use crate::{ApiError, AppState, ErrorBody, blocking};

/// The form a scanning station posts to the inbox.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the multipart form for the OpenAPI document only.
pub(crate) struct InboxForm {
    /// The scanned document (PDF, TIFF, PNG, JPEG); its type is told from its bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The scanning station.
    station: String,
    /// Who operated it.
    operator: String,
    /// When the paper was scanned (RFC 3339).
    #[schema(format = DateTime)]
    scanned_at: String,
    /// Scan resolution in dots per inch (50–2400).
    resolution_dpi: u32,
    /// `bw`, `gray` or `colour`.
    colour_mode: String,
    /// Pages scanned (1–100000).
    page_count: u32,
    /// `passed`, `failed` or `sampled`.
    quality_check: String,
    /// The SHA-256 the station computed, hex; the upload is refused if the bytes differ.
    sha256: Option<String>,
    /// The unit whose inbox receives it (default: the station's only unit).
    unit: Option<String>,
    /// A title (default: the file name).
    title: Option<String>,
    /// The kind of document.
    #[schema(rename = "type")]
    doc_type: Option<String>,
}

/// The form a clerk posts to file a document into an Akte.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the multipart form for the OpenAPI document only.
pub(crate) struct DocumentForm {
    /// The document; its type is told from its bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A title (default: the file name).
    title: Option<String>,
    /// The kind of document, such as `Meldebescheinigung`.
    #[schema(rename = "type")]
    doc_type: Option<String>,
    /// The day it was received (YYYY-MM-DD).
    #[schema(format = Date)]
    received: Option<String>,
    /// Who sent it.
    sender: Option<String>,
    /// The SHA-256 the sender computed, hex; the upload is refused if the bytes differ.
    sha256: Option<String>,
}

fn note_error(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::unprocessable(
        "transfer_note_invalid",
        format!("transfer note field {field:?}: {message}"),
    )
}

fn required(upload: &mut Upload, field: &str) -> Result<String, ApiError> {
    let value = upload
        .take(field)
        .ok_or_else(|| note_error(field, "missing"))?;
    if value.trim().is_empty() || value.chars().count() > 200 {
        return Err(note_error(field, "must be 1 to 200 characters"));
    }
    Ok(value)
}

fn one_of(upload: &mut Upload, field: &str, allowed: &[&str]) -> Result<String, ApiError> {
    let value = required(upload, field)?;
    if !allowed.contains(&value.as_str()) {
        return Err(note_error(
            field,
            format!("{value:?} is not one of {}", allowed.join(", ")),
        ));
    }
    Ok(value)
}

fn number(
    upload: &mut Upload,
    field: &str,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ApiError> {
    let value = required(upload, field)?;
    value
        .parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            note_error(
                field,
                format!(
                    "{value:?} is not a number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

fn sha256_field(upload: &mut Upload) -> Result<Option<Sha256Digest>, ApiError> {
    upload
        .take("sha256")
        .map(|text| {
            text.trim().to_ascii_lowercase().parse().map_err(|_| {
                ApiError::unprocessable(
                    "bad_sha256",
                    format!("{text:?} is not a SHA-256 (64 hex digits)"),
                )
            })
        })
        .transpose()
}

/// The transfer note of an inbox upload; every field is checked before anything is stored.
fn transfer_note(upload: &mut Upload) -> Result<Capture, ApiError> {
    let station = required(upload, "station")?;
    let operator = required(upload, "operator")?;
    let scanned_text = required(upload, "scanned_at")?;
    let scanned_at = DateTime::parse_from_rfc3339(&scanned_text)
        .map_err(|e| {
            note_error(
                "scanned_at",
                format!("{scanned_text:?} is not RFC 3339: {e}"),
            )
        })?
        .with_timezone(&Utc);
    let resolution_dpi = number(upload, "resolution_dpi", 50..=2400)?;
    let colour_mode = one_of(upload, "colour_mode", &["bw", "gray", "colour"])?;
    let page_count = number(upload, "page_count", 1..=100_000)?;
    let quality_check = one_of(upload, "quality_check", &["passed", "failed", "sampled"])?;
    Ok(Capture {
        station,
        operator: Some(operator),
        scanned_at: Some(scanned_at),
        resolution_dpi: Some(resolution_dpi),
        quality_check: Some(quality_check),
        colour_mode: Some(colour_mode),
        page_count: Some(page_count),
    })
}

/// Files a spooled upload and describes the result.
async fn file_upload(
    state: &Arc<AppState>,
    who: eakte_service::Principal,
    upload: Upload,
    request: FileRequest,
) -> Result<(StatusCode, Json<FiledDto>), ApiError> {
    let filed = blocking(state, move |service| {
        let filed = service.file_document(&who, upload.file.path(), &request)?;
        drop(upload);
        let dokument = service.catalog().dokument(filed.id())?.ok_or_else(|| {
            ServiceError::Internal("a filed document is not in the catalog".into())
        })?;
        Ok((filed, dokument))
    })
    .await?;
    let (filed, dokument) = filed;
    let latest = dokument
        .latest()
        .ok_or_else(|| ApiError::internal("a filed document has no version"))?;
    let status = match filed {
        Filed::New(_) => StatusCode::CREATED,
        Filed::AlreadyFiled(_) => StatusCode::OK,
    };
    Ok((
        status,
        Json(FiledDto {
            id: dokument.id.to_string(),
            already_filed: matches!(filed, Filed::AlreadyFiled(_)),
            blake3: latest.blob.to_string(),
            sha256: latest.sha256.to_string(),
            size: latest.size,
            media_type: latest.media_type.clone(),
            extraction: ExtractionDto::from(&latest.extraction),
        }),
    ))
}

/// Uploads a scan with its transfer note into the inbox of one of the station's units.
#[utoipa::path(post, path = "/inbox", tag = "inbox",
    request_body(content = InboxForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Filed into the inbox", body = FiledDto),
        (status = 200, description = "The same bytes were already in that inbox", body = FiledDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "Incomplete or invalid transfer note, SHA-256 mismatch", body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn upload_to_inbox(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiMultipart(form): ApiMultipart,
) -> Result<(StatusCode, Json<FiledDto>), ApiError> {
    let checked = who.clone();
    blocking(&state, move |service| service.may_file_into(&checked, None)).await?;
    let _slot = crate::slot(&state.uploads).await?;
    let mut upload = upload::read(&state, form).await?;
    let capture = transfer_note(&mut upload)?;
    let request = FileRequest {
        akte: None,
        unit: upload.take("unit"),
        expected_sha256: sha256_field(&mut upload)?,
        original_name: upload.file_name.clone().filter(|n| !n.trim().is_empty()),
        title: upload.take("title"),
        doc_type: upload.take("type"),
        capture: Some(capture),
        ..FileRequest::default()
    };
    upload.refuse_unknown()?;
    file_upload(&state, who, upload, request).await
}

/// Files a document into an Akte.
#[utoipa::path(post, path = "/akten/{id}/documents", tag = "akten",
    params(("id" = String, Path, description = "UUID or Aktenzeichen of the Akte")),
    request_body(content = DocumentForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Filed", body = FiledDto),
        (status = 200, description = "The same bytes were already in that Akte", body = FiledDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The Akte is closed", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn file_into_akte(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiMultipart(form): ApiMultipart,
) -> Result<(StatusCode, Json<FiledDto>), ApiError> {
    let akte = akte_key(&id)?;
    let (checked, key) = (who.clone(), akte.clone());
    blocking(&state, move |service| {
        service.may_file_into(&checked, Some(&key))
    })
    .await?;
    let _slot = crate::slot(&state.uploads).await?;
    let mut upload = upload::read(&state, form).await?;
    let received = upload
        .take("received")
        .map(|text| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                ApiError::unprocessable("bad_date", format!("received {text:?} is not YYYY-MM-DD"))
            })
        })
        .transpose()?;
    let request = FileRequest {
        akte: Some(akte),
        expected_sha256: sha256_field(&mut upload)?,
        original_name: upload.file_name.clone().filter(|n| !n.trim().is_empty()),
        title: upload.take("title"),
        doc_type: upload.take("type"),
        sender: upload.take("sender"),
        received,
        ..FileRequest::default()
    };
    upload.refuse_unknown()?;
    file_upload(&state, who, upload, request).await
}

/// The unfiled documents in the inboxes of the caller's units.
#[utoipa::path(get, path = "/inbox", tag = "inbox",
    responses((status = 200, body = Vec<DocumentDto>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn list_inbox(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
) -> Result<Json<Vec<DocumentDto>>, ApiError> {
    let documents = blocking(&state, move |service| service.inbox(&who)).await?;
    Ok(Json(
        documents.iter().map(|d| DocumentDto::of(d, None)).collect(),
    ))
}

/// Files a document from the inbox into an Akte (and a Vorgang of it).
#[utoipa::path(post, path = "/documents/{id}/assign", tag = "inbox",
    params(("id" = String, Path, format = Uuid, description = "The document")),
    request_body = AssignDto,
    responses((status = 200, body = DocumentDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not in the inbox, or the Akte is closed", body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn assign(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<AssignDto>,
) -> Result<Json<DocumentDto>, ApiError> {
    let id = document_id(&id)?;
    let akte = akte_key(&body.akte).map_err(|e| ApiError::unprocessable("bad_akte", e.message))?;
    let vorgang = body
        .vorgang
        .map(|text| {
            text.parse().map_err(|_| {
                ApiError::unprocessable("bad_id", format!("vorgang {text:?} is not a UUID"))
            })
        })
        .transpose()?;
    let (dokument, akte) = blocking(&state, move |service| {
        let dokument = service.assign_document(&who, id, &akte, vorgang)?;
        let akte = match dokument.akte_id {
            Some(akte_id) => service.catalog().akte(akte_id)?,
            None => None,
        };
        Ok((dokument, akte))
    })
    .await?;
    Ok(Json(DocumentDto::of(&dokument, akte.as_ref())))
}

/// The file plan.
#[utoipa::path(get, path = "/plan", tag = "akten",
    responses((status = 200, body = PlanDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No file plan imported yet", body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn plan(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
) -> Result<Json<PlanDto>, ApiError> {
    let plan = blocking(&state, move |service| service.plan(&who))
        .await?
        .ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "no_plan", "no file plan is imported")
        })?;
    Ok(Json(PlanDto {
        plan_version: plan.plan_version.clone(),
        title: plan.title.clone(),
        valid_from: plan.valid_from,
        units: plan
            .units()
            .map(|(depth, unit)| PlanUnitDto {
                code: unit.code.to_string(),
                depth,
                title: unit.title.clone(),
                record_class: unit.record_class.as_str().to_owned(),
                unit: unit.unit.clone(),
                archival_value: unit.archival_value.as_str().to_owned(),
                retention_rule: unit.retention_rule.clone(),
            })
            .collect(),
    }))
}

/// Creates an Akte in one of the caller's units.
#[utoipa::path(post, path = "/akten", tag = "akten", request_body = NewAkteDto,
    responses((status = 201, body = AkteDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn create_akte(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<NewAkteDto>,
) -> Result<(StatusCode, Json<AkteDto>), ApiError> {
    let plan_code: PlanCode =
        body.plan_code
            .parse()
            .map_err(|e: eakte_types::RecordParseError| {
                ApiError::unprocessable("bad_plan_code", e.to_string())
            })?;
    let confidentiality = match &body.confidentiality {
        Some(text) => text.parse().map_err(|e: eakte_types::RecordParseError| {
            ApiError::unprocessable("bad_confidentiality", e.to_string())
        })?,
        None => Confidentiality::Offen,
    };
    // Without a unit, the caller's only unit; the service refuses an empty one (after it
    // has checked the role, so that a role without the right hears 403 first).
    let unit = body
        .unit
        .or_else(|| match who.units.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let new = NewAkte {
        plan_code,
        title: body.title,
        unit,
        confidentiality,
    };
    let akte = blocking(&state, move |service| service.create_akte(&who, new)).await?;
    Ok((StatusCode::CREATED, Json(AkteDto::from(&akte))))
}

/// The Akten the caller reaches that match every given filter.
#[utoipa::path(get, path = "/akten", tag = "akten", params(AktenParams),
    responses((status = 200, body = Vec<AkteDto>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn list_akten(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiQuery(params): ApiQuery<AktenParams>,
) -> Result<Json<Vec<AkteDto>>, ApiError> {
    let filter = AktenFilter {
        plan: params
            .plan
            .map(|text| {
                text.parse().map_err(|e: eakte_types::RecordParseError| {
                    ApiError::bad_request("bad_parameter", e.to_string())
                })
            })
            .transpose()?,
        status: params
            .status
            .map(|text| {
                text.parse::<AkteStatus>()
                    .map_err(|e| ApiError::bad_request("bad_parameter", e.to_string()))
            })
            .transpose()?,
        unit: params.unit,
    };
    let akten = blocking(&state, move |service| service.list_akten(&who, &filter)).await?;
    Ok(Json(akten.iter().map(AkteDto::from).collect()))
}

/// An Akte with its Vorgänge and documents, by UUID or Aktenzeichen.
#[utoipa::path(get, path = "/akten/{id}", tag = "akten",
    params(("id" = String, Path, description = "UUID or Aktenzeichen (the slash percent-encoded)")),
    responses((status = 200, body = AkteDetailDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn read_akte(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> Result<Json<AkteDetailDto>, ApiError> {
    let key = akte_key(&id)?;
    let view = blocking(&state, move |service| service.read_akte(&who, &key)).await?;
    Ok(Json(AkteDetailDto {
        akte: AkteDto::from(&view.akte),
        vorgaenge: view.vorgaenge.iter().map(VorgangDto::from).collect(),
        documents: view
            .documents
            .iter()
            .map(|d| DocumentDto::of(d, Some(&view.akte)))
            .collect(),
    }))
}

/// Closes an Akte (zdA).
#[utoipa::path(post, path = "/akten/{id}/close", tag = "akten",
    params(("id" = String, Path, description = "UUID or Aktenzeichen")),
    request_body(content = Option<CloseAkteDto>, description = "Optional: the day of closing"),
    responses((status = 200, body = AkteDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn close_akte(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    body: axum::body::Bytes,
) -> Result<Json<AkteDto>, ApiError> {
    let key = akte_key(&id)?;
    // The body is optional: none closes today.
    let date = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<CloseAkteDto>(&body)
            .map_err(|e| {
                if e.is_data() {
                    ApiError::unprocessable("invalid_body", e.to_string())
                } else {
                    ApiError::bad_request("bad_json", e.to_string())
                }
            })?
            .date
    };
    let akte = blocking(&state, move |service| service.close_akte(&who, &key, date)).await?;
    Ok(Json(AkteDto::from(&akte)))
}

/// Creates a Vorgang in an open Akte.
#[utoipa::path(post, path = "/akten/{id}/vorgaenge", tag = "akten",
    params(("id" = String, Path, description = "UUID or Aktenzeichen")),
    request_body = NewVorgangDto,
    responses((status = 201, body = VorgangDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn create_vorgang(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<NewVorgangDto>,
) -> Result<(StatusCode, Json<VorgangDto>), ApiError> {
    let key = akte_key(&id)?;
    let vorgang = blocking(&state, move |service| {
        service.create_vorgang(&who, &key, &body.title)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(VorgangDto::from(&vorgang))))
}
