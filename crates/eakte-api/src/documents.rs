//! Documents: metadata, the original bytes (with ETag and Range), the extracted text.

use std::io::Read;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::Caller;
use crate::dto::{ContentParams, DocumentDetailDto, DocumentDto, PageDto, PageTextDto, TextDto};
use crate::extract::{ApiPath, ApiQuery, document_id};
use crate::{ApiError, AppState, ErrorBody, blocking};

/// Bytes handed to the connection at a time.
const CHUNK: usize = 64 << 10;
/// How long a chunk may wait for a client that does not read before the transfer is dropped.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A document's metadata, versions, extraction state and per-page OCR confidence.
#[utoipa::path(get, path = "/documents/{id}", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "The document")),
    responses((status = 200, body = DocumentDetailDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn metadata(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> Result<Json<DocumentDetailDto>, ApiError> {
    let id = document_id(&id)?;
    let view = blocking(&state, move |service| {
        service.read_document(&who, id, false)
    })
    .await?;
    Ok(Json(DocumentDetailDto {
        document: DocumentDto::of(&view.dokument, view.akte.as_ref()),
        pages: view.pages.iter().map(PageDto::from).collect(),
    }))
}

/// The extracted text of a document's latest version.
#[utoipa::path(get, path = "/documents/{id}/text", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "The document")),
    responses((status = 200, body = TextDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such document, or no text extracted yet", body = ErrorBody),
        (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn text(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
) -> Result<Json<TextDto>, ApiError> {
    let id = document_id(&id)?;
    let view = blocking(&state, move |service| service.read_document(&who, id, true)).await?;
    let version = view.dokument.latest().map_or(0, |v| v.number);
    let Some(extraction) = view.text else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_text",
            "the document has no extracted text (yet): see its extraction state",
        ));
    };
    Ok(Json(TextDto {
        id: id.to_string(),
        version,
        media_type: extraction.media_type.clone(),
        language: extraction.language.clone(),
        pages: extraction
            .pages
            .iter()
            .map(|page| PageTextDto {
                number: page.number,
                source: page.source.as_str().to_owned(),
                confidence: page.confidence,
                text: page.text.clone(),
            })
            .collect(),
    }))
}

/// The range of bytes to send: everything, or one satisfiable `Range: bytes=…`.
enum Span {
    Whole,
    Part { start: u64, end: u64 },
}

fn requested_span(headers: &HeaderMap, size: u64, etag: &str) -> Result<Span, ApiError> {
    let Some(range) = headers.get(header::RANGE) else {
        return Ok(Span::Whole);
    };
    // A range is only honoured for the representation the client has (If-Range).
    if let Some(if_range) = headers.get(header::IF_RANGE)
        && if_range.as_bytes() != etag.as_bytes()
    {
        return Ok(Span::Whole);
    }
    let Ok(text) = range.to_str() else {
        return Ok(Span::Whole);
    };
    // Another unit than bytes is ignored; several ranges are answered with the whole content,
    // as RFC 9110 allows (and without checking them against each other); so is any range of
    // an empty content.
    let Some(spec) = text.trim().strip_prefix("bytes=") else {
        return Ok(Span::Whole);
    };
    if spec.contains(',') || size == 0 {
        return Ok(Span::Whole);
    }
    // A suffix longer than the content means all of it.
    if let Some(suffix) = spec.trim().strip_prefix('-')
        && suffix.parse::<u64>().is_ok_and(|n| n >= size)
    {
        return Ok(Span::Part {
            start: 0,
            end: size - 1,
        });
    }
    let unsatisfiable = || {
        ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "range_not_satisfiable",
            format!("the range is not within the {size} bytes of the content"),
        )
    };
    let parsed = http_range_header::parse_range_header(text).map_err(|_| unsatisfiable())?;
    let ranges = parsed.validate(size).map_err(|_| unsatisfiable())?;
    match ranges.as_slice() {
        [one] => Ok(Span::Part {
            start: *one.start(),
            end: *one.end(),
        }),
        _ => Ok(Span::Whole),
    }
}

/// Whether an `If-None-Match` header names the ETag: `*`, or one of its (weak or strong) tags.
fn matches_etag(header: &HeaderValue, etag: &str) -> bool {
    header.to_str().is_ok_and(|text| {
        text.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
    })
}

/// The original bytes of a version (default: the latest), verified as they are read.
#[utoipa::path(get, path = "/documents/{id}/content", tag = "documents",
    params(("id" = String, Path, format = Uuid, description = "The document"), ContentParams),
    responses(
        (status = 200, description = "The original bytes, typed by what they are; ETag is the blake3 hash", content(
            (Vec<u8> = "application/pdf"), (Vec<u8> = "image/tiff"), (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "text/plain"), (Vec<u8> = "application/octet-stream"))),
        (status = 206, description = "The requested byte range", content(
            (Vec<u8> = "application/pdf"), (Vec<u8> = "image/tiff"), (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "text/plain"), (Vec<u8> = "application/octet-stream"))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 416, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn content(
    State(state): State<Arc<AppState>>,
    Caller(who): Caller,
    ApiPath(id): ApiPath,
    ApiQuery(params): ApiQuery<ContentParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = document_id(&id)?;
    if params.version == Some(0) {
        return Err(ApiError::bad_request(
            "bad_parameter",
            "version numbers start at 1",
        ));
    }
    let content = blocking(&state, move |service| {
        service.document_content(&who, id, params.version)
    })
    .await?;
    let version = &content.version;
    let etag = format!("\"{}\"", version.blob);
    let size = version.size;
    let media_type = version
        .media_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let mut response_headers = HeaderMap::new();
    let header_value = |text: &str| HeaderValue::from_str(text).map_err(ApiError::internal);
    response_headers.insert(header::ETAG, header_value(&etag)?);
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| matches_etag(v, &etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    response_headers.insert(header::CONTENT_TYPE, header_value(&media_type)?);
    response_headers.insert(
        header::CONTENT_DISPOSITION,
        header_value(&format!(
            "attachment; filename=\"{id}-v{}{}\"",
            version.number,
            extension(&media_type)
        ))?,
    );
    let span = requested_span(&headers, size, &etag).map_err(|mut e| {
        if e.status == StatusCode::RANGE_NOT_SATISFIABLE {
            e.content_range = Some(format!("bytes */{size}"));
        }
        e
    })?;
    let (status, start, len) = match span {
        Span::Whole => (StatusCode::OK, 0, size),
        Span::Part { start, end } => {
            response_headers.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {start}-{end}/{size}"))?,
            );
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
    };
    response_headers.insert(header::CONTENT_LENGTH, header_value(&len.to_string())?);
    let slot = crate::slot(&state.downloads).await?;
    let body = stream_blob(content.reader, start, len, slot);
    Ok((status, response_headers, body).into_response())
}

/// A file name extension for a media type.
fn extension(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => ".pdf",
        "image/tiff" => ".tif",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "text/plain" => ".txt",
        _ => "",
    }
}

/// Streams `len` bytes from `start` of a blob from a blocking thread. A read error (a blob
/// whose bytes no longer match its hash) ends the body with an error, so the client sees a
/// broken transfer rather than wrong bytes.
fn stream_blob(
    mut reader: eakte_store::BlobReader,
    start: u64,
    len: u64,
    slot: tokio::sync::OwnedSemaphorePermit,
) -> Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        // The slot is held until the transfer ends, however it ends.
        let _slot = slot;
        // A client that stops reading for this long loses its transfer, so that it cannot hold
        // the blocking thread for ever.
        let send = |chunk: std::io::Result<Bytes>| {
            runtime
                .block_on(tokio::time::timeout(SEND_TIMEOUT, sender.send(chunk)))
                .is_ok_and(|sent| sent.is_ok())
        };
        let mut skip = start;
        let mut left = len;
        let mut buffer = vec![0u8; CHUNK];
        while skip > 0 {
            let want = usize::try_from(skip.min(CHUNK as u64)).unwrap_or(CHUNK);
            match reader.read(&mut buffer[..want]) {
                Ok(0) => return,
                Ok(n) => skip -= n as u64,
                Err(e) => {
                    send(Err(e));
                    return;
                }
            }
        }
        // The reader hashes each stored piece before it returns any byte of it, so no byte
        // that differs from what was filed is sent.
        while left > 0 {
            let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
            match reader.read(&mut buffer[..want]) {
                Ok(0) => {
                    send(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the stored blob is shorter than its record",
                    )));
                    return;
                }
                Ok(n) => {
                    left -= n as u64;
                    if !send(Ok(Bytes::copy_from_slice(&buffer[..n]))) {
                        return;
                    }
                }
                Err(e) => {
                    send(Err(e));
                    return;
                }
            }
        }
    });
    Body::from_stream(ReceiverStream::new(receiver))
}
