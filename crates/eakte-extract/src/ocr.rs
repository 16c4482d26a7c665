//! OCR of one page image: recognition, and for a doubtful reading orientation detection and a
//! second reading upright.

use eakte_osd::OsdDetector;
use tesseract::{PageSegMode, Tesseract};

use crate::ExtractError;
use crate::extractor::tidy;
use crate::raster::Raster;

/// A reading at least this confident (Tesseract's mean word confidence) is taken as it is, without
/// orientation detection: upright pages of print read at 85–96, while a page upside down or on its
/// side that Tesseract cannot read scores below 60. Detection costs about a sixth of a reading, so
/// running it only on doubtful pages keeps OCR as fast as Tesseract alone (`docs/benchmarks.md`).
const CONFIDENT_READING: f32 = 75.0;

/// Orientation guesses below this confidence are ignored: on a single text line or a nearly
/// empty page Tesseract's OSD guesses with confidences of about 0 to 2, and turning an upright
/// page by mistake ruins its text, while a clearly rotated page scores far higher.
const MIN_ORIENTATION_CONFIDENCE: f32 = 3.0;

/// What OCR read on a page.
pub(crate) struct OcrPage {
    pub text: String,
    pub confidence: f32,
    /// Degrees the image was turned clockwise before recognition.
    pub rotation: u16,
}

/// A worker's Tesseract handles, made once and reused for every page.
pub(crate) struct OcrEngine {
    datapath: Option<String>,
    languages: String,
    tesseract: Option<Tesseract>,
    osd: OsdDetector,
}

fn ocr_failed(e: impl std::fmt::Display) -> ExtractError {
    ExtractError::OcrFailed {
        detail: e.to_string(),
    }
}

impl OcrEngine {
    /// Loads the models for `languages` (such as `deu+eng`) and the orientation model.
    pub fn new(datapath: Option<&str>, languages: &str) -> Result<Self, ExtractError> {
        let osd = OsdDetector::new(datapath).map_err(ocr_failed)?;
        let mut engine = Self {
            datapath: datapath.map(str::to_owned),
            languages: languages.to_owned(),
            tesseract: None,
            osd,
        };
        engine.tesseract = Some(engine.load()?);
        Ok(engine)
    }

    pub fn languages(&self) -> &str {
        &self.languages
    }

    fn load(&self) -> Result<Tesseract, ExtractError> {
        let mut tesseract = Tesseract::new(self.datapath.as_deref(), Some(&self.languages))
            .map_err(|e| ExtractError::OcrFailed {
                detail: format!(
                    "tesseract could not load the languages {} ({e}); are the \
                     tesseract-ocr-<lang> packages installed?",
                    self.languages
                ),
            })?;
        // The library's default is one uniform block of text; whole pages need the automatic
        // layout analysis that the tesseract command line uses (its default, mode 3).
        tesseract.set_page_seg_mode(PageSegMode::PsmAuto);
        Ok(tesseract)
    }

    /// Reads a page; when the reading is not confident, detects the page's orientation, and if
    /// it is turned, reads it again upright and keeps the more confident reading.
    pub fn recognize(&mut self, raster: Raster) -> Result<OcrPage, ExtractError> {
        let first = self.read(&raster)?;
        if first.confidence >= CONFIDENT_READING {
            return Ok(first);
        }
        let (pixels, bpp) = raster.bytes();
        let found = self
            .osd
            .detect(pixels, raster.width(), raster.height(), bpp, raster.ppi)
            .map_err(ocr_failed)?;
        // OSD reports how far the page is turned clockwise; turning it on by the rest of a full
        // circle makes it upright.
        let rotation = match found {
            Some(o) if o.degrees != 0 && o.confidence >= MIN_ORIENTATION_CONFIDENCE => {
                (360 - o.degrees) % 360
            }
            _ => return Ok(first),
        };
        let upright = raster.rotate_clockwise(rotation);
        let mut second = self.read(&upright)?;
        if second.confidence > first.confidence {
            second.rotation = rotation;
            Ok(second)
        } else {
            Ok(first)
        }
    }

    /// Recognises the image as it is.
    fn read(&mut self, raster: &Raster) -> Result<OcrPage, ExtractError> {
        let (width, height) = (raster.width(), raster.height());
        let (pixels, bpp) = raster.bytes();
        let as_int = |v: u32| i32::try_from(v).map_err(|_| ocr_failed("image too large"));
        let line = width
            .checked_mul(bpp)
            .ok_or_else(|| ocr_failed("image too large"))?;
        let tesseract = match self.tesseract.take() {
            Some(t) => t,
            None => self.load()?,
        };
        let mut tesseract = tesseract
            .set_frame(
                pixels,
                as_int(width)?,
                as_int(height)?,
                as_int(bpp)?,
                as_int(line)?,
            )
            .map_err(ocr_failed)?;
        if let Some(ppi) = raster.ppi.and_then(|p| i32::try_from(p).ok()) {
            tesseract = tesseract.set_source_resolution(ppi);
        }
        let mut tesseract = tesseract.recognize().map_err(ocr_failed)?;
        let text = tesseract.get_text().map_err(ocr_failed)?;
        let confidence = tesseract.mean_text_conf() as f32;
        self.tesseract = Some(tesseract);
        Ok(OcrPage {
            text: tidy(&text),
            confidence,
            rotation: 0,
        })
    }
}
