//! PDF pages: the text layer through lopdf; pages without usable text are OCR'd from their one
//! embedded image where it can be decoded directly, otherwise rendered at 300 dpi by pdftoppm.

use std::borrow::Cow;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use image::ImageFormat;
use lopdf::{Document, LoadOptions, Object, ObjectId};

use crate::extractor::{Job, PageImage};
use crate::image_file::decode_single;
use crate::raster::{Raster, check_pixels, expand_bilevel};
use crate::{ExtractError, OcrInput};

/// The resolution at which pages are rendered for OCR, as scanning stations scan.
const RENDER_DPI: u32 = 300;

/// A page's text layer is used when it has at least this many letters and digits; below, a
/// page with images is OCR'd (a scan with a stamped page number has a few characters only).
const MIN_TEXT_LAYER_CHARS: usize = 10;

/// What a page gave: its text layer, or the image OCR is to read, or why neither.
pub(crate) enum PdfPage {
    /// The text layer: usable text, or whatever little there is on a page without images.
    Text(String),
    /// No usable text, but images: the page image to OCR.
    Image(PageImage),
    /// The page could not be read.
    Failed(ExtractError),
}

fn malformed(e: impl std::fmt::Display) -> ExtractError {
    ExtractError::MalformedPdf {
        detail: e.to_string(),
    }
}

/// Opens a PDF (trying the empty user password) and visits each page in order.
pub(crate) fn extract(
    path: &Path,
    bytes: &[u8],
    job: &Job,
    mut visit: impl FnMut(u32, PdfPage) -> Result<(), ExtractError>,
) -> Result<(), ExtractError> {
    let limits = &job.settings;
    let max_stream = usize::try_from(limits.max_decompressed_bytes).unwrap_or(usize::MAX);
    let options = LoadOptions {
        max_decompressed_size: Some(max_stream),
        ..LoadOptions::default()
    };
    let document = Document::load_mem_with_options(bytes, options)
        .map_err(|e| map_error(e, limits.max_decompressed_bytes))?;
    // lopdf opens an encrypted file with the empty user password where that works; otherwise
    // it returns the document still locked.
    if document.is_encrypted() && !document.was_encrypted() {
        return Err(ExtractError::Encrypted);
    }
    let pages = document.get_pages();
    if pages.len() as u64 > u64::from(limits.max_pages) {
        return Err(ExtractError::TooManyPages {
            pages: pages.len() as u64,
            limit: limits.max_pages,
        });
    }
    if pages.is_empty() {
        return Err(malformed("the document has no pages"));
    }
    let rebuilt = document.xref_recovery.is_some();
    let mut any_content = false;
    for (&number, &page_id) in &pages {
        // The content streams are inflated once, within the limit; a page whose content would
        // inflate beyond it fails on its own (pdftoppm is not asked to inflate it either).
        let content = match document.get_page_content_with_limit(page_id, max_stream) {
            Ok(content) => content,
            Err(e) if is_limit(&e) => {
                visit(
                    number,
                    PdfPage::Failed(ExtractError::DecompressionLimit {
                        limit: limits.max_decompressed_bytes,
                    }),
                )?;
                continue;
            }
            // Unreadable content: lopdf's text extraction and pdftoppm may still get something.
            Err(_) => Vec::new(),
        };
        let text = document
            .extract_text_with_limit(&[number], max_stream)
            .unwrap_or_default();
        any_content |= !text.trim().is_empty() || !content.is_empty();
        let page = if !usable(&text) && has_pictures(&document, page_id, &content) {
            match page_image(path, &document, number, page_id, job) {
                Ok(image) => PdfPage::Image(image),
                Err(e) => PdfPage::Failed(e),
            }
        } else {
            PdfPage::Text(text)
        };
        visit(number, page)?;
    }
    // A damaged file that lopdf could only piece together by scanning, and in which no page
    // has any content, is broken rather than blank.
    if rebuilt && !any_content {
        return Err(malformed(
            "the cross-reference table is damaged and no page content could be recovered",
        ));
    }
    Ok(())
}

fn is_limit(e: &lopdf::Error) -> bool {
    matches!(
        e,
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })
    )
}

fn map_error(e: lopdf::Error, limit: u64) -> ExtractError {
    match e {
        lopdf::Error::Decryption(_)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::UnsupportedSecurityHandler(_) => ExtractError::Encrypted,
        e if is_limit(&e) => ExtractError::DecompressionLimit { limit },
        other => malformed(other),
    }
}

/// True when text has enough letters and digits, and is not mostly undecodable glyphs.
fn usable(text: &str) -> bool {
    let mut good = 0usize;
    let mut bad = 0usize;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        if c == '\u{fffd}' || c.is_control() || ('\u{e000}'..='\u{f8ff}').contains(&c) {
            bad += 1;
        } else if c.is_alphanumeric() {
            good += 1;
        }
    }
    good >= MIN_TEXT_LAYER_CHARS && bad * 3 < good
}

/// True when the page shows images: image or form XObjects (or resources that cannot be
/// read), or an inline image.
fn has_pictures(document: &Document, page_id: ObjectId, content: &[u8]) -> bool {
    if xobject_count(document, page_id).is_none_or(|n| n > 0) {
        return true;
    }
    content
        .windows(4)
        .any(|w| w[0].is_ascii_whitespace() && &w[1..3] == b"BI" && w[3].is_ascii_whitespace())
}

/// The image to OCR for a page: its one embedded image if it decodes directly, else a rendering.
fn page_image(
    path: &Path,
    document: &Document,
    number: u32,
    page_id: ObjectId,
    job: &Job,
) -> Result<PageImage, ExtractError> {
    let settings = &job.settings;
    let media_box = media_box(document, page_id);
    let (w_pt, h_pt) = media_box.unwrap_or((612.0, 792.0));
    let to_px = |pt: f64| (pt / 72.0 * f64::from(RENDER_DPI)).ceil() as u64;
    let renderable = check_pixels(to_px(w_pt), to_px(h_pt), settings.max_pixels_per_page);
    if let Some(raster) = embedded_image(document, page_id, media_box, renderable.is_ok(), job)? {
        return Ok(PageImage {
            raster,
            input: OcrInput::EmbeddedImage,
        });
    }
    renderable?;
    let raster = render(path, number, job)?;
    Ok(PageImage {
        raster,
        input: OcrInput::Rendered,
    })
}

/// The page's size in points from its (possibly inherited) MediaBox.
fn media_box(document: &Document, page_id: ObjectId) -> Option<(f64, f64)> {
    let mut node = document.get_dictionary(page_id).ok()?;
    for _ in 0..64 {
        if let Ok(Object::Array(b)) = node.get(b"MediaBox").map(|o| match o {
            Object::Reference(id) => document.get_object(*id).unwrap_or(o),
            other => other,
        }) {
            let n: Vec<f64> = b.iter().filter_map(number).collect();
            if n.len() == 4 {
                let (w, h) = ((n[2] - n[0]).abs(), (n[3] - n[1]).abs());
                return (w >= 1.0 && h >= 1.0 && w.is_finite() && h.is_finite()).then_some((w, h));
            }
            return None;
        }
        node = document
            .get_dictionary(node.get(b"Parent").ok()?.as_reference().ok()?)
            .ok()?;
    }
    None
}

fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// Decodes the page's image directly when the page holds exactly one image and no forms, in a
/// format read here (JPEG; Flate or uncompressed grey/RGB; CCITT group 4). None means: render.
/// An image that does not have the page's shape (either way up) covers part of the page or has
/// stretched pixels, so a rendering shows the page better — unless the page is too large to
/// render (`renderable` false), when the image is better than nothing.
fn embedded_image(
    document: &Document,
    page_id: ObjectId,
    media_box: Option<(f64, f64)>,
    renderable: bool,
    job: &Job,
) -> Result<Option<Raster>, ExtractError> {
    let settings = &job.settings;
    let Ok(images) = document.get_page_images(page_id) else {
        return Ok(None);
    };
    let [image] = images.as_slice() else {
        return Ok(None);
    };
    // Only a page that shows this one image and nothing else drawn from XObjects is read from
    // the image; else it is rendered.
    if xobject_count(document, page_id) != Some(1) || image.width <= 0 || image.height <= 0 {
        return Ok(None);
    }
    let (width, height) = (image.width as u64, image.height as u64);
    // An image somewhat over the pixel limit (a 600-dpi poster) is left to pdftoppm, which
    // renders the page at 300 dpi; one far over it is an image bomb and refused.
    if let Err(e) = check_pixels(width, height, settings.max_pixels_per_page) {
        return match check_pixels(
            width,
            height,
            settings.max_pixels_per_page.saturating_mul(2),
        ) {
            Ok(()) => Ok(None),
            Err(_) => Err(e),
        };
    }
    let (width, height) = (width as u32, height as u32);
    let fills_page = media_box.is_none_or(|(w_pt, h_pt)| {
        let image_shape = f64::from(width) / f64::from(height);
        let page_shape = w_pt / h_pt;
        let close = |a: f64, b: f64| (a / b - 1.0).abs() < 0.05;
        close(image_shape, page_shape) || close(image_shape, 1.0 / page_shape)
    });
    if !fills_page && renderable {
        return Ok(None);
    }
    // The image's resolution on the page, for Tesseract's sense of text size.
    let ppi = media_box
        .map(|(w_pt, _)| (f64::from(width) * 72.0 / w_pt).round() as u32)
        .filter(|&p| (50..=2400).contains(&p));
    let dict = image.origin_dict;
    if dict
        .get(b"ImageMask")
        .and_then(Object::as_bool)
        .unwrap_or(false)
    {
        return Ok(None);
    }
    let filters: Vec<&str> = image.filters.iter().flatten().map(String::as_str).collect();
    let raster = match filters.as_slice() {
        // A JPEG the decoder here cannot read is left to pdftoppm.
        ["DCTDecode"] => match decode_single(
            image.content,
            ImageFormat::Jpeg,
            settings.max_pixels_per_page,
        ) {
            Ok(mut raster) => {
                raster.ppi = ppi.or(raster.ppi);
                Some(raster)
            }
            Err(e @ ExtractError::TooManyPixels { .. }) => return Err(e),
            Err(_) => None,
        },
        ["CCITTFaxDecode"] => ccitt_g4(image.content, dict, width, height, decode_inverted(dict))
            .map(|g| Raster::gray(g, ppi)),
        [] | ["FlateDecode"] => raw_samples(document, image, width, height)?.map(|mut r| {
            r.ppi = ppi;
            r
        }),
        _ => None,
    };
    Ok(raster)
}

/// True when the image's /Decode array maps samples the other way round ([1 0 …]).
fn decode_inverted(dict: &lopdf::Dictionary) -> bool {
    matches!(dict.get(b"Decode"), Ok(Object::Array(a)) if a.first().and_then(number) == Some(1.0))
}

/// The number of XObjects the page's resources (its own or inherited) name; None when they
/// cannot be read.
fn xobject_count(document: &Document, page_id: ObjectId) -> Option<usize> {
    let (own, inherited) = document.get_page_resources(page_id).ok()?;
    let mut dicts: Vec<&lopdf::Dictionary> = own.into_iter().collect();
    for id in inherited {
        dicts.push(document.get_dictionary(id).ok()?);
    }
    let mut count = 0;
    for resources in dicts {
        let xobjects = match resources.get(b"XObject") {
            Ok(Object::Reference(id)) => document.get_dictionary(*id).ok()?,
            Ok(other) => other.as_dict().ok()?,
            Err(_) => continue,
        };
        count += xobjects.len();
    }
    Some(count)
}

/// Decodes CCITT group 4 data (K < 0) with the `fax` crate; None for group 3 or odd parameters.
fn ccitt_g4(
    data: &[u8],
    dict: &lopdf::Dictionary,
    width: u32,
    height: u32,
    inverted: bool,
) -> Option<image::GrayImage> {
    let params = match dict.get(b"DecodeParms").ok()? {
        Object::Dictionary(d) => d,
        Object::Array(a) => a.first()?.as_dict().ok()?,
        _ => return None,
    };
    let k = params.get(b"K").and_then(Object::as_i64).unwrap_or(0);
    let columns = params
        .get(b"Columns")
        .and_then(Object::as_i64)
        .unwrap_or(1728);
    // A /Decode of [1 0] swaps black and white just as /BlackIs1 does.
    let black_is_1 = params
        .get(b"BlackIs1")
        .and_then(Object::as_bool)
        .unwrap_or(false)
        != inverted;
    let byte_align = params
        .get(b"EncodedByteAlign")
        .and_then(Object::as_bool)
        .unwrap_or(false);
    if k >= 0 || byte_align || columns != i64::from(width) {
        return None;
    }
    let mut pixels = Vec::with_capacity(width as usize * height as usize);
    fax::decoder::decode_g4(data.iter().copied(), width, Some(height), |transitions| {
        for color in fax::decoder::pels(transitions, width) {
            let white = color == fax::Color::White;
            pixels.push(if white != black_is_1 { 255 } else { 0 });
        }
    })?;
    // Pad rows an encoder left out at the end (they are white).
    pixels.resize(
        width as usize * height as usize,
        if black_is_1 { 0 } else { 255 },
    );
    image::GrayImage::from_raw(width, height, pixels)
}

/// Flate or uncompressed samples in grey (1 or 8 bit) or RGB (8 bit); None for anything else.
fn raw_samples(
    document: &Document,
    image: &lopdf::xobject::PdfImage<'_>,
    width: u32,
    height: u32,
) -> Result<Option<Raster>, ExtractError> {
    let dict = image.origin_dict;
    let components = match image.color_space.as_deref() {
        Some("DeviceGray" | "CalGray") => 1,
        Some("DeviceRGB" | "CalRGB") => 3,
        Some("ICCBased") => match dict.get(b"ColorSpace") {
            Ok(Object::Array(a)) => a
                .get(1)
                .and_then(|o| o.as_reference().ok())
                .and_then(|id| document.get_object(id).ok())
                .and_then(|o| o.as_stream().ok())
                .and_then(|s| s.dict.get(b"N").ok()?.as_i64().ok())
                .unwrap_or(0),
            _ => 0,
        },
        _ => 0,
    };
    let bits = image.bits_per_component.unwrap_or(8);
    if !matches!((components, bits), (1, 1) | (1, 8) | (3, 8)) {
        return Ok(None);
    }
    let decode_inverted = decode_inverted(dict);
    let stream = document
        .get_object(image.id)
        .and_then(Object::as_stream)
        .map_err(malformed)?;
    // Both are at most 3 and 8 here, and width × height is within the pixel limit.
    let row = (width as usize * components as usize * bits as usize).div_ceil(8);
    let needed = row * height as usize;
    // Before a PNG predictor is undone, each row has a tag byte and may be one pixel wider.
    let inflated_limit = needed + height as usize * (1 + components as usize) + 1024;
    let samples: Cow<[u8]> = if image.filters.as_ref().is_some_and(|f| !f.is_empty()) {
        match stream.decompressed_content_with_limit(inflated_limit) {
            Ok(s) => Cow::Owned(s),
            Err(_) => return Ok(None),
        }
    } else {
        Cow::Borrowed(&stream.content)
    };
    if samples.len() < needed {
        return Ok(None);
    }
    let raster = match (components, bits) {
        (1, 1) => {
            expand_bilevel(&samples, width, height, !decode_inverted).map(|g| Raster::gray(g, None))
        }
        (1, 8) => {
            let mut v = samples[..needed].to_vec();
            if decode_inverted {
                v.iter_mut().for_each(|s| *s = 255 - *s);
            }
            image::GrayImage::from_raw(width, height, v).map(|g| Raster::gray(g, None))
        }
        _ => image::RgbImage::from_raw(width, height, samples[..needed].to_vec())
            .map(|rgb| Raster::from_dynamic(image::DynamicImage::ImageRgb8(rgb), None)),
    };
    Ok(raster)
}

/// Renders one page at 300 dpi in grey with pdftoppm, within the document's deadline.
fn render(path: &Path, number: u32, job: &Job) -> Result<Raster, ExtractError> {
    let settings = &job.settings;
    let dir = tempfile::tempdir().map_err(ExtractError::io)?;
    let stderr = tempfile::tempfile().map_err(ExtractError::io)?;
    let out = dir.path().join("page");
    let page = number.to_string();
    let mut child = Command::new(&settings.pdftoppm)
        .args([
            "-r",
            &RENDER_DPI.to_string(),
            "-gray",
            "-singlefile",
            "-f",
            &page,
            "-l",
            &page,
        ])
        .arg(path)
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr.try_clone().map_err(ExtractError::io)?)
        .spawn()
        .map_err(|e| ExtractError::RenderFailed {
            detail: format!("cannot run {}: {e}", settings.pdftoppm),
        })?;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(ExtractError::io)? {
            break status;
        }
        if Instant::now() >= job.deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ExtractError::Timeout {
                seconds: settings.timeout_seconds,
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let rendered = out.with_extension("pgm");
    if !status.success() || !rendered.exists() {
        let mut message = String::new();
        let mut stderr = stderr;
        use std::io::{Read, Seek};
        let _ = stderr.rewind();
        let _ = stderr.take(4096).read_to_string(&mut message);
        let last = message
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(ExtractError::RenderFailed {
            detail: format!("pdftoppm ended with {status}: {last}"),
        });
    }
    let bytes = std::fs::read(&rendered).map_err(ExtractError::io)?;
    let mut raster = decode_single(&bytes, ImageFormat::Pnm, settings.max_pixels_per_page)
        .map_err(|e| match e {
            ExtractError::MalformedImage { detail } => ExtractError::RenderFailed { detail },
            other => other,
        })?;
    raster.ppi = Some(RENDER_DPI);
    Ok(raster)
}

#[cfg(test)]
mod tests {
    use super::usable;

    #[test]
    fn text_layer_usability() {
        assert!(usable("Meldebescheinigung für Jürgen Müller"));
        assert!(!usable("  3  "));
        assert!(!usable(
            "\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}abcdefghijk\u{fffd}\u{fffd}\u{fffd}\u{fffd}"
        ));
    }
}
