//! Why a document (or one page) yielded no text: one stable code per reason.

use serde::{Deserialize, Serialize};

/// A refusal or failure of extraction. Serialised with its stable `code`, so that a worker's
/// verdict crosses the process boundary unchanged and clients can act on the code.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ExtractError {
    /// Not a PDF, TIFF, PNG, JPEG or text file.
    #[error("unsupported format: {detail}")]
    UnsupportedFormat {
        /// What was seen instead.
        detail: String,
    },
    /// The PDF needs a password that is not the empty one.
    #[error("encrypted: the PDF needs a password to open (the document is kept as it is)")]
    Encrypted,
    /// A page image has more pixels than allowed; it was refused before decoding.
    #[error("too many pixels: {width}x{height} px is more than the limit of {limit} pixels")]
    TooManyPixels {
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
        /// The configured limit (`extract.max_pixels_per_page`).
        limit: u64,
    },
    /// The document has more pages than allowed.
    #[error("too many pages: {pages} pages is more than the limit of {limit}")]
    TooManyPages {
        /// Pages in the document.
        pages: u64,
        /// The configured limit (`extract.max_pages`).
        limit: u32,
    },
    /// A compressed stream inflates beyond the limit.
    #[error("decompression limit: a stream inflates to more than {limit} bytes")]
    DecompressionLimit {
        /// The configured limit (`extract.max_decompressed_bytes`).
        limit: u64,
    },
    /// The PDF cannot be parsed.
    #[error("malformed PDF: {detail}")]
    MalformedPdf {
        /// The parser's complaint.
        detail: String,
    },
    /// The image cannot be decoded.
    #[error("malformed image: {detail}")]
    MalformedImage {
        /// The decoder's complaint.
        detail: String,
    },
    /// A PDF page could not be rendered for OCR.
    #[error("render failed: {detail}")]
    RenderFailed {
        /// What pdftoppm reported.
        detail: String,
    },
    /// Tesseract could not be started or failed on a page.
    #[error("OCR failed: {detail}")]
    OcrFailed {
        /// Tesseract's complaint.
        detail: String,
    },
    /// The document took longer than the wall-clock limit; its worker was killed and replaced.
    #[error("timeout: extraction took longer than {seconds} s and was stopped")]
    Timeout {
        /// The configured limit (`extract.timeout_seconds`).
        seconds: u64,
    },
    /// The worker used up its CPU-time limit on the document and was stopped by the kernel.
    #[error("CPU limit: extraction used more than {seconds} s of CPU time")]
    CpuLimit {
        /// The configured limit (`extract.max_cpu_seconds`).
        seconds: u64,
    },
    /// The worker ran out of its address-space limit.
    #[error("memory limit: extraction needed more than {bytes} bytes of memory")]
    MemoryLimit {
        /// The configured limit (`extract.max_memory_bytes`).
        bytes: u64,
    },
    /// The worker process died (a crash in a parser or library); it was replaced.
    #[error("worker crashed: {detail}")]
    WorkerCrashed {
        /// How it ended, and the last line it wrote to stderr.
        detail: String,
    },
    /// A parser panicked on this input; the worker caught it and carries on.
    #[error("internal error while parsing: {detail}")]
    Internal {
        /// The panic message.
        detail: String,
    },
    /// The file could not be read, or the worker could not be started or talked to.
    #[error("I/O error: {detail}")]
    Io {
        /// The operating system's message.
        detail: String,
    },
}

impl ExtractError {
    /// The stable machine-readable code, as in the serialised form.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedFormat { .. } => "unsupported_format",
            Self::Encrypted => "encrypted",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::TooManyPages { .. } => "too_many_pages",
            Self::DecompressionLimit { .. } => "decompression_limit",
            Self::MalformedPdf { .. } => "malformed_pdf",
            Self::MalformedImage { .. } => "malformed_image",
            Self::RenderFailed { .. } => "render_failed",
            Self::OcrFailed { .. } => "ocr_failed",
            Self::Timeout { .. } => "timeout",
            Self::CpuLimit { .. } => "cpu_limit",
            Self::MemoryLimit { .. } => "memory_limit",
            Self::WorkerCrashed { .. } => "worker_crashed",
            Self::Internal { .. } => "internal",
            Self::Io { .. } => "io",
        }
    }

    pub(crate) fn io(e: impl std::fmt::Display) -> Self {
        Self::Io {
            detail: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_matches_the_serialised_tag() {
        let all = [
            ExtractError::UnsupportedFormat { detail: "x".into() },
            ExtractError::Encrypted,
            ExtractError::TooManyPixels {
                width: 1,
                height: 2,
                limit: 1,
            },
            ExtractError::TooManyPages { pages: 9, limit: 1 },
            ExtractError::DecompressionLimit { limit: 1 },
            ExtractError::MalformedPdf { detail: "x".into() },
            ExtractError::MalformedImage { detail: "x".into() },
            ExtractError::RenderFailed { detail: "x".into() },
            ExtractError::OcrFailed { detail: "x".into() },
            ExtractError::Timeout { seconds: 1 },
            ExtractError::CpuLimit { seconds: 1 },
            ExtractError::MemoryLimit { bytes: 1 },
            ExtractError::WorkerCrashed { detail: "x".into() },
            ExtractError::Internal { detail: "x".into() },
            ExtractError::Io { detail: "x".into() },
        ];
        for e in all {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["code"], e.code(), "{json}");
            let back: ExtractError = serde_json::from_value(json).unwrap();
            assert_eq!(back, e);
        }
    }
}
