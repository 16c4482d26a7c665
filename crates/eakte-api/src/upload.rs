//! Multipart uploads: the part `file` streams to a spool file below the data directory (never
//! whole into memory), bounded by the upload limit; the other parts are short text fields.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

use crate::{ApiError, AppState};

/// The longest text field of a form, in bytes.
const MAX_FIELD_BYTES: usize = 4096;
/// The most fields a form may have.
const MAX_FIELDS: usize = 32;

/// A multipart form; a request that is not one is answered with the API's error body.
pub(crate) struct ApiMultipart(pub Multipart);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Multipart::from_request(request, state)
            .await
            .map(Self)
            .map_err(|rejection| ApiError::bad_request("bad_multipart", rejection.body_text()))
    }
}

/// An upload spooled to disk, with the form's text fields.
pub(crate) struct Upload {
    /// The spool file; removed when dropped.
    pub file: NamedTempFile,
    /// The file name the client gave, if any.
    pub file_name: Option<String>,
    /// The text fields by name.
    pub fields: BTreeMap<String, String>,
}

impl Upload {
    /// Takes a text field out of the form.
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.fields.remove(name)
    }

    /// Refuses any field that is left (the handler took every field it knows).
    pub fn refuse_unknown(&self) -> Result<(), ApiError> {
        match self.fields.keys().next() {
            Some(name) => Err(ApiError::unprocessable(
                "unknown_field",
                format!("the form field {name:?} is not known"),
            )),
            None => Ok(()),
        }
    }
}

fn multipart_error(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    ApiError::bad_request("bad_multipart", error.body_text())
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        "the upload is larger than the server's limit (server.max_upload_bytes)",
    )
}

/// Reads a multipart form: the one part `file` to a spool file, every other part as text.
pub(crate) async fn read(state: &Arc<AppState>, mut form: Multipart) -> Result<Upload, ApiError> {
    let mut file = None;
    let mut file_name = None;
    let mut fields = BTreeMap::new();
    let mut count = 0;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        count += 1;
        if count > MAX_FIELDS {
            return Err(ApiError::unprocessable(
                "too_many_fields",
                format!("a form has at most {MAX_FIELDS} fields"),
            ));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if file.is_some() {
                return Err(ApiError::unprocessable(
                    "duplicate_field",
                    "the form has more than one part \"file\"",
                ));
            }
            file_name = field.file_name().map(str::to_owned);
            let spool = tempfile::Builder::new()
                .prefix("upload-")
                .tempfile_in(&state.upload_dir)
                .map_err(ApiError::internal)?;
            let std_file = spool.as_file().try_clone().map_err(ApiError::internal)?;
            let mut out = tokio::fs::File::from_std(std_file);
            let mut written: u64 = 0;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                written += chunk.len() as u64;
                if written > state.max_upload_bytes {
                    return Err(too_large());
                }
                out.write_all(&chunk).await.map_err(ApiError::internal)?;
            }
            out.flush().await.map_err(ApiError::internal)?;
            file = Some(spool);
        } else {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if text.len() + chunk.len() > MAX_FIELD_BYTES {
                    return Err(ApiError::unprocessable(
                        "field_too_large",
                        format!("the form field {name:?} is longer than {MAX_FIELD_BYTES} bytes"),
                    ));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|_| {
                ApiError::unprocessable(
                    "invalid_field",
                    format!("the form field {name:?} is not UTF-8 text"),
                )
            })?;
            if fields.insert(name.clone(), text).is_some() {
                return Err(ApiError::unprocessable(
                    "duplicate_field",
                    format!("the form field {name:?} is given twice"),
                ));
            }
        }
    }
    let file = file.ok_or_else(|| {
        ApiError::unprocessable(
            "file_missing",
            "the form has no part \"file\" with the document",
        )
    })?;
    Ok(Upload {
        file,
        file_name,
        fields,
    })
}
