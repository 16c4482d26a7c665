//! Retention, holds and disposition for records managers (and, reading, for auditors and the
//! clerks of the units concerned): rules, retention states, events, the due list, holds,
//! disposition batches and their xdomea messages.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use eakte_catalog::{Batch, Hold, HoldScope};
use eakte_retention::{Blocker, Declined, Period, Rule};
use eakte_service::{HoldTarget, RetentionView};
use eakte_types::{BatchId, HoldId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::dto::AkteDto;
use crate::extract::{ApiJson, ApiPath, ApiQuery, akte_key, document_id};
use crate::{ApiError, AppState, ErrorBody, blocking};

/// One phase of a rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseDto {
    /// `restrict`, `offer_to_archive`, `destroy`, `review` or `keep`.
    pub action: String,
    /// A fixed length, such as `5 years`.
    pub period: Option<String>,
    /// The least length.
    pub at_least: Option<String>,
    /// The most length.
    pub at_most: Option<String>,
    /// For an offer: `destroy` or `keep` when the archive declines.
    pub if_declined: Option<String>,
}

/// A retention rule in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    /// Its id, as file plan units name it.
    pub id: String,
    /// What records it governs.
    pub title: String,
    /// The norm.
    pub legal_basis: String,
    /// `confirmed`, `partial` or `unconfirmed`.
    pub confidence: String,
    /// A note for records managers.
    pub note: Option<String>,
    /// The record classes it may be assigned to.
    pub record_classes: Vec<String>,
    /// `A`, `B` or `V`.
    pub archival_value: String,
    /// The events that start it (the latest recorded counts).
    pub trigger_events: Vec<String>,
    /// `event` or `end_of_year`.
    pub start: String,
    /// Events before which the end action is never due.
    pub never_before: Vec<String>,
    /// The phases in order.
    pub phases: Vec<PhaseDto>,
}

fn period(p: Option<Period>) -> Option<String> {
    p.map(|p| p.to_string())
}

fn declined(d: Option<Declined>) -> Option<String> {
    d.map(|d| match d {
        Declined::Destroy => "destroy".to_owned(),
        Declined::Keep => "keep".to_owned(),
    })
}

impl From<&Rule> for RuleDto {
    fn from(rule: &Rule) -> Self {
        Self {
            id: rule.id.clone(),
            title: rule.title.clone(),
            legal_basis: rule.legal_basis.clone(),
            confidence: rule.confidence.as_str().to_owned(),
            note: rule.note.clone(),
            record_classes: rule
                .record_classes
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            archival_value: rule.archival_value.as_str().to_owned(),
            trigger_events: rule.trigger.events.clone(),
            start: match rule.trigger.start {
                eakte_retention::Start::Event => "event".to_owned(),
                eakte_retention::Start::EndOfYear => "end_of_year".to_owned(),
            },
            never_before: rule.never_before.clone(),
            phases: rule
                .phases
                .iter()
                .map(|p| PhaseDto {
                    action: p.action.as_str().to_owned(),
                    period: period(p.period),
                    at_least: period(p.at_least),
                    at_most: period(p.at_most),
                    if_declined: declined(p.if_declined),
                })
                .collect(),
        }
    }
}

/// What keeps an end action from being taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockerDto {
    /// `trigger` (waiting for an event), `never_before` or `hold`.
    pub kind: String,
    /// For `trigger`: the events waited for; for `never_before`: the event.
    pub events: Vec<String>,
    /// For `hold`: the hold's id.
    pub hold: Option<String>,
}

/// An Akte's retention state on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionDto {
    /// The Akte's id.
    pub akte: String,
    /// Its Aktenzeichen.
    pub aktenzeichen: String,
    /// Its file plan unit.
    pub plan_code: String,
    /// Its organisational unit.
    pub unit: String,
    /// The day evaluated.
    pub day: NaiveDate,
    /// The rule, if the plan unit assigns one.
    pub rule: Option<String>,
    /// `no_rule`, `permanent`, `waiting`, `pending`, `due` or `blocked`.
    pub status: String,
    /// The trigger event that counts.
    pub trigger_event: Option<String>,
    /// Its day.
    pub trigger_date: Option<NaiveDate>,
    /// From this day processing is restricted.
    pub restricted_from: Option<NaiveDate>,
    /// The end action.
    pub action: Option<String>,
    /// For an offer: what happens when the archive declines.
    pub if_declined: Option<String>,
    /// The first day the end action may be taken.
    pub due_on: Option<NaiveDate>,
    /// The last day by which it must be taken, where the law sets one.
    pub latest_on: Option<NaiveDate>,
    /// Whether that day has passed.
    pub overdue: bool,
    /// What blocks the end action.
    pub blockers: Vec<BlockerDto>,
    /// Active holds covering the Akte.
    pub holds: Vec<String>,
    /// The disposition batch it is in.
    pub batch: Option<String>,
}

impl RetentionDto {
    fn of(view: &RetentionView, day: NaiveDate) -> Self {
        let state = view.state.as_ref();
        Self {
            akte: view.akte.to_string(),
            aktenzeichen: view.aktenzeichen.clone(),
            plan_code: view.plan_code.clone(),
            unit: view.unit.clone(),
            day,
            rule: view.rule.clone(),
            status: state.map_or("no_rule", |s| s.status.as_str()).to_owned(),
            trigger_event: state.and_then(|s| s.trigger.as_ref().map(|t| t.0.clone())),
            trigger_date: state.and_then(|s| s.trigger.as_ref().map(|t| t.1)),
            restricted_from: state.and_then(|s| s.restricted_from),
            action: state.map(|s| s.action.as_str().to_owned()),
            if_declined: declined(state.and_then(|s| s.if_declined)),
            due_on: state.and_then(|s| s.due_on),
            latest_on: state.and_then(|s| s.latest_on),
            overdue: state.is_some_and(|s| s.overdue),
            blockers: state
                .map(|s| s.blockers.iter().map(blocker).collect())
                .unwrap_or_default(),
            holds: view.holds.iter().map(ToString::to_string).collect(),
            batch: view.batch.map(|b| b.to_string()),
        }
    }
}

fn blocker(b: &Blocker) -> BlockerDto {
    match b {
        Blocker::Trigger { events } => BlockerDto {
            kind: "trigger".into(),
            events: events.clone(),
            hold: None,
        },
        Blocker::NeverBefore { event } => BlockerDto {
            kind: "never_before".into(),
            events: vec![event.clone()],
            hold: None,
        },
        Blocker::Hold { id } => BlockerDto {
            kind: "hold".into(),
            events: Vec::new(),
            hold: Some(id.clone()),
        },
    }
}

/// The day to evaluate.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DayParams {
    /// A preview day (YYYY-MM-DD); today when absent. Nothing is ever carried out on another
    /// day than today.
    pub at: Option<NaiveDate>,
}

/// An event of an Akte.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AkteEventDto {
    /// The event (`person.moved_away`, `document.validity_end`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The day it happened.
    pub date: NaiveDate,
}

/// What a hold covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldScopeDto {
    /// `akte`, `vorgang`, `document` or `query`.
    pub kind: String,
    /// The object's id (not for `query`).
    pub id: Option<String>,
    /// The query (for `query`).
    pub query: Option<String>,
    /// The documents the query matched (for `query`).
    pub documents: Vec<String>,
}

/// A legal hold.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldDto {
    /// Its id.
    pub id: String,
    /// What it covers.
    pub scope: HoldScopeDto,
    /// Why.
    pub reason: String,
    /// Who set it.
    pub set_by: String,
    /// When.
    pub set_at: DateTime<Utc>,
    /// Whether it still holds.
    pub active: bool,
    /// Who released it.
    pub released_by: Option<String>,
    /// When.
    pub released_at: Option<DateTime<Utc>>,
}

impl From<&Hold> for HoldDto {
    fn from(hold: &Hold) -> Self {
        let (kind, id, query, documents) = match &hold.scope {
            HoldScope::Akte { id } => ("akte", Some(id.to_string()), None, Vec::new()),
            HoldScope::Vorgang { id } => ("vorgang", Some(id.to_string()), None, Vec::new()),
            HoldScope::Dokument { id } => ("document", Some(id.to_string()), None, Vec::new()),
            HoldScope::Query { query, documents } => (
                "query",
                None,
                Some(query.clone()),
                documents.iter().map(ToString::to_string).collect(),
            ),
        };
        Self {
            id: hold.id.to_string(),
            scope: HoldScopeDto {
                kind: kind.to_owned(),
                id,
                query,
                documents,
            },
            reason: hold.reason.clone(),
            set_by: hold.set_by.clone(),
            set_at: hold.set_at,
            active: hold.is_active(),
            released_by: hold.released.as_ref().map(|r| r.by.clone()),
            released_at: hold.released.as_ref().map(|r| r.at),
        }
    }
}

/// A new hold: exactly one of `akte`, `vorgang`, `document`, `query`, and a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHoldDto {
    /// An Akte (UUID or Aktenzeichen).
    pub akte: Option<String>,
    /// A Vorgang (UUID).
    pub vorgang: Option<String>,
    /// A document (UUID).
    pub document: Option<String>,
    /// A full-text query: every document it matches now.
    pub query: Option<String>,
    /// Why.
    pub reason: String,
}

/// One Akte of a disposition batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemDto {
    /// The Akte's id.
    pub akte: String,
    /// Its Aktenzeichen.
    pub aktenzeichen: String,
    /// The rule.
    pub rule: String,
    /// `offer_to_archive`, `destroy` or `review`.
    pub action: String,
    /// For an offer: `destroy` or `keep` when declined.
    pub if_declined: Option<String>,
    /// The day it became due.
    pub due_on: NaiveDate,
    /// The archive's appraisal: `A` or `V`.
    pub appraisal: Option<String>,
    /// Whether the archive confirmed taking it over.
    pub archived: Option<bool>,
    /// When it was destroyed.
    pub destroyed_at: Option<DateTime<Utc>>,
}

/// A disposition batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDto {
    /// Its id (also the xdomea process id).
    pub id: String,
    /// The day whose due list it is.
    pub as_of: NaiveDate,
    /// Who proposed it.
    pub proposed_by: String,
    /// When.
    pub proposed_at: DateTime<Utc>,
    /// Who approved it (another records manager).
    pub approved_by: Option<String>,
    /// When.
    pub approved_at: Option<DateTime<Utc>>,
    /// Its Akten.
    pub items: Vec<BatchItemDto>,
    /// Whether the archive's appraisal (0502) was imported.
    pub appraisal_imported: bool,
    /// Whether the transfer (0503) was exported.
    pub transfer_exported: bool,
    /// Whether the archive's receipt (0506) was imported.
    pub receipt_imported: bool,
}

impl From<&Batch> for BatchDto {
    fn from(batch: &Batch) -> Self {
        Self {
            id: batch.id.to_string(),
            as_of: batch.as_of,
            proposed_by: batch.proposed.by.clone(),
            proposed_at: batch.proposed.at,
            approved_by: batch.approved.as_ref().map(|a| a.by.clone()),
            approved_at: batch.approved.as_ref().map(|a| a.at),
            items: batch
                .items
                .iter()
                .map(|i| BatchItemDto {
                    akte: i.akte.to_string(),
                    aktenzeichen: i.aktenzeichen.to_string(),
                    rule: i.rule.clone(),
                    action: i.action.clone(),
                    if_declined: i.if_declined.clone(),
                    due_on: i.due_on,
                    appraisal: i.appraisal.map(|a| format!("{a:?}")),
                    archived: i.archived,
                    destroyed_at: i.destroyed_at,
                })
                .collect(),
            appraisal_imported: batch.appraisal_blob.is_some(),
            transfer_exported: batch.transfer_sha256.is_some(),
            receipt_imported: batch.receipt_blob.is_some(),
        }
    }
}

pub(crate) fn batch_id(text: &str) -> Result<BatchId, ApiError> {
    text.parse().map_err(|_| {
        ApiError::bad_request("bad_id", format!("{text:?} is not a batch id (a UUID)"))
    })
}

fn hold_id(text: &str) -> Result<HoldId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request("bad_id", format!("{text:?} is not a hold id (a UUID)")))
}

/// The retention rules in force.
#[utoipa::path(get, path = "/retention/rules", tag = "retention",
    responses((status = 200, body = Vec<RuleDto>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn rules(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
) -> Result<Json<Vec<RuleDto>>, ApiError> {
    let rules = blocking(&state, move |service| service.retention_rules(&who)).await?;
    Ok(Json(rules.rules().map(RuleDto::from).collect()))
}

/// The Akten whose end action is due (or due but blocked) on a day, within the caller's reach.
#[utoipa::path(get, path = "/retention/due", tag = "retention", params(DayParams),
    responses((status = 200, body = Vec<RetentionDto>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn due(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiQuery(params): ApiQuery<DayParams>,
) -> Result<Json<Vec<RetentionDto>>, ApiError> {
    let day = params.at.unwrap_or_else(eakte_service::office_today);
    let due = blocking(&state, move |service| service.retention_due(&who, day)).await?;
    Ok(Json(due.iter().map(|v| RetentionDto::of(v, day)).collect()))
}

/// An Akte's retention state.
#[utoipa::path(get, path = "/akten/{id}/retention", tag = "retention",
    params(("id" = String, Path, description = "UUID or Aktenzeichen"), DayParams),
    responses((status = 200, body = RetentionDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn akte_retention(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(params): ApiQuery<DayParams>,
) -> Result<Json<RetentionDto>, ApiError> {
    let key = akte_key(&id)?;
    let day = params.at.unwrap_or_else(eakte_service::office_today);
    let view = blocking(&state, move |service| service.retention_of(&who, &key, day)).await?;
    Ok(Json(RetentionDto::of(&view, day)))
}

/// Records an event of an Akte that retention periods start from; it can move later, never
/// earlier.
#[utoipa::path(post, path = "/akten/{id}/events", tag = "retention",
    params(("id" = String, Path, description = "UUID or Aktenzeichen")),
    request_body = AkteEventDto,
    responses((status = 200, body = AkteDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn record_event(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<AkteEventDto>,
) -> Result<Json<AkteDto>, ApiError> {
    let key = akte_key(&id)?;
    let akte = blocking(&state, move |service| {
        service.record_event(&who, &key, &body.kind, body.date)
    })
    .await?;
    Ok(Json(AkteDto::from(&akte)))
}

/// Every hold, released ones included.
#[utoipa::path(get, path = "/holds", tag = "retention",
    responses((status = 200, body = Vec<HoldDto>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn holds(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
) -> Result<Json<Vec<HoldDto>>, ApiError> {
    let holds = blocking(&state, move |service| service.holds(&who)).await?;
    Ok(Json(holds.iter().map(HoldDto::from).collect()))
}

/// Sets a hold.
#[utoipa::path(post, path = "/holds", tag = "retention", request_body = NewHoldDto,
    responses((status = 201, body = HoldDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn set_hold(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<NewHoldDto>,
) -> Result<(StatusCode, Json<HoldDto>), ApiError> {
    let target = match (body.akte, body.vorgang, body.document, body.query) {
        (Some(akte), None, None, None) => HoldTarget::Akte(akte_key(&akte)?),
        (None, Some(vorgang), None, None) => {
            HoldTarget::Vorgang(vorgang.parse().map_err(|_| {
                ApiError::unprocessable("invalid_body", format!("{vorgang:?} is not a Vorgang id"))
            })?)
        }
        (None, None, Some(document), None) => HoldTarget::Dokument(document_id(&document)?),
        (None, None, None, Some(query)) => HoldTarget::Query(query),
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_body",
                "name exactly one of akte, vorgang, document, query",
            ));
        }
    };
    let reason = body.reason;
    let hold = blocking(&state, move |service| {
        service.set_hold(&who, &target, &reason)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(HoldDto::from(&hold))))
}

/// Releases a hold.
#[utoipa::path(post, path = "/holds/{id}/release", tag = "retention",
    params(("id" = String, Path, description = "The hold's id")),
    responses((status = 200, body = HoldDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn release_hold(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> Result<Json<HoldDto>, ApiError> {
    let id = hold_id(&id)?;
    let hold = blocking(&state, move |service| service.release_hold(&who, id)).await?;
    Ok(Json(HoldDto::from(&hold)))
}

/// Every disposition batch.
#[utoipa::path(get, path = "/dispositions", tag = "retention",
    responses((status = 200, body = Vec<BatchDto>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn dispositions(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
) -> Result<Json<Vec<BatchDto>>, ApiError> {
    let batches = blocking(&state, move |service| service.dispositions(&who)).await?;
    Ok(Json(batches.iter().map(BatchDto::from).collect()))
}

/// Proposes a batch of everything due today and not blocked.
#[utoipa::path(post, path = "/dispositions", tag = "retention",
    responses((status = 201, body = BatchDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn propose(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
) -> Result<(StatusCode, Json<BatchDto>), ApiError> {
    let batch = blocking(&state, move |service| service.propose_disposition(&who)).await?;
    Ok((StatusCode::CREATED, Json(BatchDto::from(&batch))))
}

/// One disposition batch.
#[utoipa::path(get, path = "/dispositions/{id}", tag = "retention",
    params(("id" = String, Path, description = "The batch id")),
    responses((status = 200, body = BatchDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn disposition(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> Result<Json<BatchDto>, ApiError> {
    let id = batch_id(&id)?;
    let batch = blocking(&state, move |service| service.disposition(&who, id)).await?;
    Ok(Json(BatchDto::from(&batch)))
}

/// Approves a batch: a different records manager than the one who proposed it.
#[utoipa::path(post, path = "/dispositions/{id}/approve", tag = "retention",
    params(("id" = String, Path, description = "The batch id")),
    responses((status = 200, body = BatchDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn approve(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> Result<Json<BatchDto>, ApiError> {
    let id = batch_id(&id)?;
    let batch = blocking(&state, move |service| service.approve_disposition(&who, id)).await?;
    Ok(Json(BatchDto::from(&batch)))
}

/// A message for the archive, as a download.
fn zip_download(package: eakte_service::XdomeaPackage) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let disposition = format!("attachment; filename=\"{}\"", package.file_name);
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        package.zip,
    )
        .into_response()
}

/// The offer (xdomea 0501, metadata only) of an approved batch's Akten to be offered.
#[utoipa::path(post, path = "/dispositions/{id}/xdomea/offer", tag = "retention",
    params(("id" = String, Path, description = "The batch id")),
    responses((status = 200, description = "The 0501 message as a ZIP", content_type = "application/zip", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn xdomea_offer(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> Result<axum::response::Response, ApiError> {
    let id = batch_id(&id)?;
    let package = blocking(&state, move |service| service.xdomea_offer(&who, id)).await?;
    Ok(zip_download(package))
}

/// The transfer (xdomea 0503) of what the archive appraised A, with the originals and their
/// SHA-256.
#[utoipa::path(post, path = "/dispositions/{id}/xdomea/transfer", tag = "retention",
    params(("id" = String, Path, description = "The batch id")),
    responses((status = 200, description = "The 0503 message as a ZIP", content_type = "application/zip", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn xdomea_transfer(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> Result<axum::response::Response, ApiError> {
    let id = batch_id(&id)?;
    let package = blocking(&state, move |service| service.xdomea_transfer(&who, id)).await?;
    Ok(zip_download(package))
}

/// Imports the archive's appraisal (xdomea 0502, as ZIP or XML).
#[utoipa::path(post, path = "/dispositions/{id}/xdomea/appraisal", tag = "retention",
    params(("id" = String, Path, description = "The batch id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The 0502 message (ZIP or XML)"),
    responses((status = 200, body = BatchDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn xdomea_appraisal(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    body: axum::body::Bytes,
) -> Result<Json<BatchDto>, ApiError> {
    let id = batch_id(&id)?;
    let batch = blocking(&state, move |service| {
        service.import_appraisal(&who, id, &body)
    })
    .await?;
    Ok(Json(BatchDto::from(&batch)))
}

/// Imports the archive's receipt (xdomea 0506, as ZIP or XML); what it confirms taking over
/// is destroyed with the next `eakte disposition execute`.
#[utoipa::path(post, path = "/dispositions/{id}/xdomea/receipt", tag = "retention",
    params(("id" = String, Path, description = "The batch id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The 0506 message (ZIP or XML)"),
    responses((status = 200, body = BatchDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn xdomea_receipt(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    body: axum::body::Bytes,
) -> Result<Json<BatchDto>, ApiError> {
    let id = batch_id(&id)?;
    let batch = blocking(&state, move |service| {
        service.import_receipt(&who, id, &body)
    })
    .await?;
    Ok(Json(BatchDto::from(&batch)))
}
