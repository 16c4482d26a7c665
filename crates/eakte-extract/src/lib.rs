//! Text extraction and OCR: every page of a PDF, TIFF, PNG, JPEG or text file becomes text.
//!
//! Parsing and OCR of untrusted files run only in worker processes ([`worker`]) under memory,
//! CPU-time and wall-clock limits; the server talks to them through a [`pool::WorkerPool`].

mod error;
mod extractor;
mod image_file;
mod language;
mod model;
mod ocr;
mod pdf;
pub mod pool;
mod protocol;
mod raster;
mod sniff;
mod text_file;
pub mod worker;

pub use error::ExtractError;
pub use extractor::Extractor;
pub use model::{EXTRACTION_FORMAT, EXTRACTION_VERSION, Extraction, OcrInput, Page, PageSource};
pub use sniff::Format;
