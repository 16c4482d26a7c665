//! One document in, its pages' text out: the format is sniffed, pages are read or OCR'd.

use std::path::Path;
use std::time::{Duration, Instant};

use eakte_config::ExtractConfig;
use image::ImageFormat;

use crate::image_file::{self, ImageLimits};
use crate::ocr::OcrEngine;
use crate::pdf::{self, PdfPage};
use crate::raster::Raster;
use crate::{
    EXTRACTION_FORMAT, EXTRACTION_VERSION, ExtractError, Extraction, Format, OcrInput, Page,
    PageSource, language, text_file,
};

/// The document being extracted: its settings and when its time is up.
pub(crate) struct Job {
    pub settings: ExtractConfig,
    pub deadline: Instant,
}

/// A page image chosen for OCR, and which image it is.
pub(crate) struct PageImage {
    pub raster: Raster,
    pub input: OcrInput,
}

/// Extracts documents one after another, keeping the OCR models loaded between them. Runs
/// inside a worker process; the server never calls it directly.
#[derive(Default)]
pub struct Extractor {
    ocr: Option<OcrEngine>,
}

impl Extractor {
    /// An extractor that loads the OCR models when the first page needs them.
    pub fn new() -> Self {
        Self::default()
    }

    /// Extracts the text of every page of the file at `path`.
    pub fn extract_file(
        &mut self,
        path: &Path,
        settings: ExtractConfig,
    ) -> Result<Extraction, ExtractError> {
        let cannot_read = |e: &dyn std::fmt::Display| ExtractError::Io {
            detail: format!("cannot read {}: {e}", path.display()),
        };
        // Not a FIFO or device that never ends, and nothing the worker could not hold.
        let meta = std::fs::metadata(path).map_err(|e| cannot_read(&e))?;
        if !meta.is_file() {
            return Err(cannot_read(&"not a regular file"));
        }
        if meta.len() > settings.max_memory_bytes / 4 {
            return Err(cannot_read(&format!(
                "{} bytes is more than a quarter of the worker's memory limit",
                meta.len()
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| cannot_read(&e))?;
        let format =
            Format::sniff(&bytes).map_err(|detail| ExtractError::UnsupportedFormat { detail })?;
        let job = Job {
            // A deadline beyond what the clock can say is no deadline.
            deadline: Instant::now()
                .checked_add(Duration::from_secs(settings.timeout_seconds))
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365)),
            settings,
        };
        let limits = ImageLimits {
            max_pixels: job.settings.max_pixels_per_page,
            max_pages: job.settings.max_pages,
        };
        let mut pages = Vec::new();
        match format {
            Format::Text => {
                let (text, _encoding) = text_file::decode(&bytes);
                pages.push(Page {
                    number: 1,
                    text,
                    source: PageSource::PlainText,
                    confidence: None,
                    rotation: 0,
                    ocr_input: None,
                    error: None,
                });
            }
            Format::Png | Format::Jpeg => {
                let image_format = if format == Format::Png {
                    ImageFormat::Png
                } else {
                    ImageFormat::Jpeg
                };
                let raster = image_file::decode_single(&bytes, image_format, limits.max_pixels)?;
                pages.push(self.ocr_page(&job, 1, raster, OcrInput::ImageFile));
            }
            Format::Tiff => {
                image_file::decode_tiff(&bytes, limits, |number, page| {
                    pages.push(match page {
                        Ok(raster) => self.ocr_page(&job, number, raster, OcrInput::ImageFile),
                        Err(e) => Page::failed(number, e),
                    });
                    stop_on_timeout(&pages)
                })?;
            }
            Format::Pdf => {
                pdf::extract(path, &bytes, &job, |number, page| {
                    pages.push(match page {
                        PdfPage::Text(text) => Page {
                            number,
                            text: tidy(&text),
                            source: PageSource::TextLayer,
                            confidence: None,
                            rotation: 0,
                            ocr_input: None,
                            error: None,
                        },
                        PdfPage::Image(image) => {
                            self.ocr_page(&job, number, image.raster, image.input)
                        }
                        PdfPage::Failed(e) => Page::failed(number, e),
                    });
                    stop_on_timeout(&pages)
                })?;
            }
        }
        // Running out of time ends the document: its text would be incomplete.
        if let Some(e) = pages
            .iter()
            .filter_map(|p| p.error.as_ref())
            .find(|e| matches!(e, ExtractError::Timeout { .. }))
        {
            return Err(e.clone());
        }
        // A document none of whose pages gave text fails with the first page's reason.
        if pages.iter().all(|p| p.text.trim().is_empty())
            && let Some(error) = pages.iter().find_map(|p| p.error.clone())
        {
            return Err(error);
        }
        let ocr_languages = if pages.iter().any(|p| p.source == PageSource::Ocr) {
            job.settings.languages.clone()
        } else {
            String::new()
        };
        Ok(Extraction {
            format: EXTRACTION_FORMAT.to_owned(),
            version: EXTRACTION_VERSION,
            media_type: format.media_type().to_owned(),
            ocr_languages,
            language: language::guess(pages.iter().map(|p| p.text.as_str())),
            pages,
        })
    }

    /// OCRs one page image; a failure is recorded on the page.
    fn ocr_page(&mut self, job: &Job, number: u32, raster: Raster, input: OcrInput) -> Page {
        if Instant::now() >= job.deadline {
            return Page::failed(
                number,
                ExtractError::Timeout {
                    seconds: job.settings.timeout_seconds,
                },
            );
        }
        let result = self
            .engine(&job.settings)
            .and_then(|engine| engine.recognize(raster));
        match result {
            Ok(ocr) => Page {
                number,
                text: ocr.text,
                source: PageSource::Ocr,
                confidence: Some(ocr.confidence),
                rotation: ocr.rotation,
                ocr_input: Some(input),
                error: None,
            },
            Err(e) => Page::failed(number, e),
        }
    }

    /// The OCR engine for the job's languages, loaded on first use.
    fn engine(&mut self, settings: &ExtractConfig) -> Result<&mut OcrEngine, ExtractError> {
        if self
            .ocr
            .as_ref()
            .is_none_or(|e| e.languages() != settings.languages)
        {
            self.ocr = None;
            let datapath = Some(settings.tessdata_dir.as_str()).filter(|d| !d.is_empty());
            self.ocr = Some(OcrEngine::new(datapath, &settings.languages)?);
        }
        Ok(self.ocr.as_mut().expect("engine was just loaded"))
    }
}

/// A page that ran out of time ends the document: the rest would too.
fn stop_on_timeout(pages: &[Page]) -> Result<(), ExtractError> {
    match pages.last().and_then(|p| p.error.as_ref()) {
        Some(e @ ExtractError::Timeout { .. }) => Err(e.clone()),
        _ => Ok(()),
    }
}

/// Page text with trailing spaces and surplus blank lines removed (one blank line, as between
/// Tesseract's blocks, is kept).
pub(crate) fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_owned()
}
