//! The API's wire types: what requests carry and answers return. They are the API's contract
//! and are kept apart from the catalog's records, which may change without changing the API.

use chrono::{DateTime, NaiveDate, Utc};
use eakte_catalog::{Akte, Capture, Dokument, Extraction, Version, Vorgang};
use eakte_service::PageQuality;
use eakte_service::tokens::TokenRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An Akte.
#[derive(Debug, Serialize, ToSchema)]
pub struct AkteDto {
    /// The permanent id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The file number, such as `33.10-0042/2026`.
    pub aktenzeichen: String,
    /// The file plan unit it is kept under.
    pub plan_code: String,
    /// The subject.
    pub title: String,
    /// The organisational unit in charge.
    pub unit: String,
    /// `offen`, `nfd` or `vertraulich`.
    pub confidentiality: String,
    /// `open` or `closed`.
    pub status: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// The day it was closed (zdA).
    pub closed_on: Option<NaiveDate>,
}

impl From<&Akte> for AkteDto {
    fn from(akte: &Akte) -> Self {
        Self {
            id: akte.id.to_string(),
            aktenzeichen: akte.aktenzeichen.to_string(),
            plan_code: akte.plan_code.to_string(),
            title: akte.title.clone(),
            unit: akte.unit.clone(),
            confidentiality: akte.confidentiality.as_str().to_owned(),
            status: akte.status.as_str().to_owned(),
            created: akte.created,
            closed_on: akte.closed_on,
        }
    }
}

/// A Vorgang: one matter within an Akte.
#[derive(Debug, Serialize, ToSchema)]
pub struct VorgangDto {
    /// The permanent id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The Akte it belongs to.
    #[schema(format = Uuid)]
    pub akte_id: String,
    /// The matter.
    pub title: String,
    /// When it was created.
    pub created: DateTime<Utc>,
}

impl From<&Vorgang> for VorgangDto {
    fn from(vorgang: &Vorgang) -> Self {
        Self {
            id: vorgang.id.to_string(),
            akte_id: vorgang.akte_id.to_string(),
            title: vorgang.title.clone(),
            created: vorgang.created,
        }
    }
}

/// A scanning station's transfer note.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferNoteDto {
    /// The scanning station.
    pub station: String,
    /// Who operated it.
    pub operator: Option<String>,
    /// When the paper was scanned.
    pub scanned_at: Option<DateTime<Utc>>,
    /// Scan resolution in dots per inch.
    pub resolution_dpi: Option<u32>,
    /// `bw`, `gray` or `colour`.
    pub colour_mode: Option<String>,
    /// Pages the station counted.
    pub page_count: Option<u32>,
    /// `passed`, `failed` or `sampled`.
    pub quality_check: Option<String>,
}

impl From<&Capture> for TransferNoteDto {
    fn from(capture: &Capture) -> Self {
        Self {
            station: capture.station.clone(),
            operator: capture.operator.clone(),
            scanned_at: capture.scanned_at,
            resolution_dpi: capture.resolution_dpi,
            colour_mode: capture.colour_mode.clone(),
            page_count: capture.page_count,
            quality_check: capture.quality_check.clone(),
        }
    }
}

/// One version of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDto {
    /// The version number, from 1.
    pub number: u32,
    /// blake3 of the original bytes, hex (the content's ETag).
    pub blake3: String,
    /// SHA-256 of the original bytes, hex.
    pub sha256: String,
    /// Size of the original in bytes.
    pub size: u64,
    /// The media type sniffed from the bytes.
    pub media_type: Option<String>,
    /// When it was filed.
    pub filed: DateTime<Utc>,
    /// The state of its text extraction.
    pub extraction: ExtractionDto,
}

impl From<&Version> for VersionDto {
    fn from(version: &Version) -> Self {
        Self {
            number: version.number,
            blake3: version.blob.to_string(),
            sha256: version.sha256.to_string(),
            size: version.size,
            media_type: version.media_type.clone(),
            filed: version.filed,
            extraction: ExtractionDto::from(&version.extraction),
        }
    }
}

/// The state of a version's text extraction.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtractionDto {
    /// `pending`, `done` or `failed`.
    pub state: String,
    /// Pages, once done.
    pub pages: Option<u32>,
    /// ISO 639-3 code of the main language, once done and told.
    pub language: Option<String>,
    /// The error code, when failed.
    pub error_code: Option<String>,
    /// What went wrong, when failed.
    pub error_message: Option<String>,
}

impl From<&Extraction> for ExtractionDto {
    fn from(extraction: &Extraction) -> Self {
        let (state, pages, language, error) = match extraction {
            Extraction::Pending => ("pending", None, None, None),
            Extraction::Done {
                pages, language, ..
            } => ("done", Some(*pages), language.clone(), None),
            Extraction::Failed { code, message } => {
                ("failed", None, None, Some((code.clone(), message.clone())))
            }
        };
        let (error_code, error_message) = error.unzip();
        Self {
            state: state.to_owned(),
            pages,
            language,
            error_code,
            error_message,
        }
    }
}

/// A document's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDto {
    /// The permanent id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The Akte it is filed in; absent while it waits in the inbox.
    pub akte_id: Option<String>,
    /// The Aktenzeichen of its Akte.
    pub aktenzeichen: Option<String>,
    /// The Vorgang within the Akte.
    pub vorgang_id: Option<String>,
    /// The unit whose inbox received it.
    pub unit: Option<String>,
    /// The title.
    pub title: String,
    /// The kind of document.
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
    /// The day it was received.
    pub received: Option<NaiveDate>,
    /// Who sent it.
    pub sender: Option<String>,
    /// The name the file arrived with.
    pub original_name: Option<String>,
    /// When it was filed.
    pub filed: DateTime<Utc>,
    /// The scanning station's transfer note.
    pub transfer_note: Option<TransferNoteDto>,
    /// The versions, oldest first.
    pub versions: Vec<VersionDto>,
}

impl DocumentDto {
    /// The wire form of a document (with its Akte's Aktenzeichen, when filed).
    pub fn of(dokument: &Dokument, akte: Option<&Akte>) -> Self {
        Self {
            id: dokument.id.to_string(),
            akte_id: dokument.akte_id.map(|id| id.to_string()),
            aktenzeichen: akte.map(|a| a.aktenzeichen.to_string()),
            vorgang_id: dokument.vorgang_id.map(|id| id.to_string()),
            unit: dokument.unit.clone(),
            title: dokument.title.clone(),
            doc_type: dokument.doc_type.clone(),
            received: dokument.received,
            sender: dokument.sender.clone(),
            original_name: dokument.original_name.clone(),
            filed: dokument.filed,
            transfer_note: dokument.capture.as_ref().map(TransferNoteDto::from),
            versions: dokument.versions.iter().map(VersionDto::from).collect(),
        }
    }
}

/// A document with how each page of its latest version was read.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDetailDto {
    /// The document.
    #[serde(flatten)]
    pub document: DocumentDto,
    /// Per page of the latest version: source and OCR confidence (empty until extracted).
    pub pages: Vec<PageDto>,
}

/// How one page was read.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageDto {
    /// 1-based page number.
    pub number: u32,
    /// `text-layer`, `ocr`, `plain-text` or `none`.
    pub source: String,
    /// Tesseract's mean word confidence (0–100), for OCR'd pages.
    pub confidence: Option<f32>,
    /// Degrees the page was turned before OCR.
    pub rotation: u16,
    /// The error code, when the page yielded no text.
    pub error: Option<String>,
}

impl From<&PageQuality> for PageDto {
    fn from(page: &PageQuality) -> Self {
        Self {
            number: page.number,
            source: page.source.as_str().to_owned(),
            confidence: page.confidence,
            rotation: page.rotation,
            error: page.error.map(str::to_owned),
        }
    }
}

/// The extracted text of a document's latest version.
#[derive(Debug, Serialize, ToSchema)]
pub struct TextDto {
    /// The document.
    #[schema(format = Uuid)]
    pub id: String,
    /// The version the text is of.
    pub version: u32,
    /// The media type recognised from the bytes.
    pub media_type: String,
    /// ISO 639-3 code of the main language, if told.
    pub language: Option<String>,
    /// The pages with their text.
    pub pages: Vec<PageTextDto>,
}

/// One page's text.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageTextDto {
    /// 1-based page number.
    pub number: u32,
    /// Where the text came from.
    pub source: String,
    /// Tesseract's mean word confidence, for OCR'd pages.
    pub confidence: Option<f32>,
    /// The text, lines separated by `\n`.
    pub text: String,
}

/// An Akte with its Vorgänge and documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct AkteDetailDto {
    /// The Akte.
    #[serde(flatten)]
    pub akte: AkteDto,
    /// Its Vorgänge.
    pub vorgaenge: Vec<VorgangDto>,
    /// Its documents (metadata).
    pub documents: Vec<DocumentDto>,
}

/// What an upload filed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledDto {
    /// The document id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Whether the same bytes were already filed there (then nothing new was stored).
    pub already_filed: bool,
    /// blake3 of the bytes, hex.
    pub blake3: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The media type sniffed from the bytes.
    pub media_type: Option<String>,
    /// The state of its text extraction.
    pub extraction: ExtractionDto,
}

/// One unit of the file plan, in plan order with its depth.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanUnitDto {
    /// The code, such as `33.10`.
    pub code: String,
    /// 0 for top-level units.
    pub depth: usize,
    /// The subject.
    pub title: String,
    /// `sachakte`, `fallakte` or `sammelakte`.
    pub record_class: String,
    /// The owning organisational unit.
    pub unit: String,
    /// `A`, `B` or `V`.
    pub archival_value: String,
    /// The retention rule's id, if assigned.
    pub retention_rule: Option<String>,
}

/// The file plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDto {
    /// The plan's own version.
    pub plan_version: String,
    /// The plan's title.
    pub title: String,
    /// The day from which it applies.
    pub valid_from: Option<NaiveDate>,
    /// Every unit, parents before children.
    pub units: Vec<PlanUnitDto>,
}

/// A new Akte.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAkteDto {
    /// The file plan unit, such as `33.10`.
    pub plan_code: String,
    /// The subject.
    pub title: String,
    /// The organisational unit in charge (default: the caller's only unit).
    pub unit: Option<String>,
    /// `offen` (default), `nfd` or `vertraulich`.
    pub confidentiality: Option<String>,
}

/// Closing an Akte.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseAkteDto {
    /// The day of closing (default: today).
    pub date: Option<NaiveDate>,
}

/// A new Vorgang.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVorgangDto {
    /// The matter.
    pub title: String,
}

/// Filing an inbox document into an Akte.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignDto {
    /// The Akte: its UUID or its Aktenzeichen.
    pub akte: String,
    /// A Vorgang of that Akte.
    #[schema(format = Uuid)]
    pub vorgang: Option<String>,
}

/// Which Akten to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AktenParams {
    /// That plan code or below it.
    pub plan: Option<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// Of this organisational unit.
    pub unit: Option<String>,
}

/// Which version's content.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContentParams {
    /// The version number (default: the latest).
    #[param(minimum = 1)]
    pub version: Option<u32>,
}

/// A token as listed (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    /// The public id.
    pub id: String,
    /// The user it acts for.
    pub user: String,
    /// Its role.
    pub role: String,
    /// Its organisational units.
    pub units: Vec<String>,
    /// Its clearance.
    pub clearance: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
    /// When it was revoked.
    pub revoked: Option<DateTime<Utc>>,
}

impl From<&TokenRecord> for TokenDto {
    fn from(record: &TokenRecord) -> Self {
        Self {
            id: record.id.clone(),
            user: record.user.clone(),
            role: record.role.as_str().to_owned(),
            units: record.units.clone(),
            clearance: record.clearance.as_str().to_owned(),
            created: record.created,
            created_by: record.created_by.clone(),
            revoked: record.revoked,
        }
    }
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenDto {
    /// The user id: 1–64 of `a-z A-Z 0-9 . _ -`.
    pub user: String,
    /// `scanner`, `clerk`, `records_manager`, `auditor` or `admin`.
    pub role: String,
    /// Organisational units (a scanner and a clerk need one).
    #[serde(default)]
    pub units: Vec<String>,
    /// `offen` (default), `nfd` or `vertraulich`.
    pub clearance: Option<String>,
}

/// A token just created: the only time its text is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenDto {
    /// The bearer token.
    pub token: String,
    /// Its record.
    #[serde(flatten)]
    pub record: TokenDto,
}
