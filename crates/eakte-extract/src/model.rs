//! The extraction result: text per page with its source and confidence, versioned for storage.

use serde::{Deserialize, Serialize};

use crate::ExtractError;

/// The `format` field of every serialised result.
pub const EXTRACTION_FORMAT: &str = "eakte-extraction";
/// The version of the result layout this build writes (see `schemas/extraction.v1.json`).
pub const EXTRACTION_VERSION: u32 = 1;

/// What extraction found in one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extraction {
    /// Always [`EXTRACTION_FORMAT`].
    pub format: String,
    /// Always [`EXTRACTION_VERSION`] when written by this build.
    pub version: u32,
    /// The media type recognised from the bytes (not from the file name).
    pub media_type: String,
    /// The Tesseract languages OCR used, such as `deu+eng`; empty if no page needed OCR.
    pub ocr_languages: String,
    /// ISO 639-3 code of the document's main language, guessed from all page texts (`deu`,
    /// `eng`, ...); absent when there is too little text to tell.
    pub language: Option<String>,
    /// The pages in order; a text file is one page.
    pub pages: Vec<Page>,
}

/// The text of one page and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// 1-based page number.
    pub number: u32,
    /// The page's text, lines separated by `\n`.
    pub text: String,
    /// Where the text came from.
    pub source: PageSource,
    /// Tesseract's mean word confidence (0–100) for OCR'd pages.
    pub confidence: Option<f32>,
    /// Degrees the page image was turned clockwise before OCR to make it upright (0, 90, 180,
    /// 270), as found by Tesseract's orientation detection on a doubtful first reading.
    pub rotation: u16,
    /// Which image OCR read, for OCR'd pages.
    pub ocr_input: Option<OcrInput>,
    /// Set when the page yielded no text because of this error; the other pages still count.
    pub error: Option<ExtractError>,
}

/// Where a page's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageSource {
    /// The PDF's own text layer.
    TextLayer,
    /// Optical character recognition of the page image.
    Ocr,
    /// A plain text file.
    PlainText,
    /// Nothing: the page failed (see `error`).
    None,
}

impl PageSource {
    /// The name in the extraction result and the API (`text-layer`, `ocr`, `plain-text`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextLayer => "text-layer",
            Self::Ocr => "ocr",
            Self::PlainText => "plain-text",
            Self::None => "none",
        }
    }
}

/// The image that OCR read for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OcrInput {
    /// The image file itself (TIFF, PNG, JPEG page).
    ImageFile,
    /// The one image embedded in the PDF page, decoded directly.
    EmbeddedImage,
    /// The PDF page rendered at 300 dpi by pdftoppm.
    Rendered,
}

impl Extraction {
    /// The whole text, pages separated by form feeds.
    pub fn text(&self) -> String {
        let pages: Vec<&str> = self.pages.iter().map(|p| p.text.as_str()).collect();
        pages.join("\u{c}")
    }

    /// The number of pages whose text came from each source: (text layer or plain text, OCR,
    /// failed or empty).
    pub fn source_counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for page in &self.pages {
            match page.source {
                PageSource::TextLayer | PageSource::PlainText => counts.0 += 1,
                PageSource::Ocr => counts.1 += 1,
                PageSource::None => counts.2 += 1,
            }
        }
        counts
    }
}

impl Page {
    pub(crate) fn failed(number: u32, error: ExtractError) -> Self {
        Self {
            number,
            text: String::new(),
            source: PageSource::None,
            confidence: None,
            rotation: 0,
            ocr_input: None,
            error: Some(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PageSource;

    #[test]
    fn page_source_names_are_the_results_names() {
        for source in [
            PageSource::TextLayer,
            PageSource::Ocr,
            PageSource::PlainText,
            PageSource::None,
        ] {
            assert_eq!(serde_json::to_value(source).unwrap(), source.as_str());
        }
    }
}
