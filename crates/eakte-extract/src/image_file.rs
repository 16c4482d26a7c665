//! Image files (TIFF with all its pages, PNG, JPEG), decoded only after their size is checked.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};
use tiff::ColorType;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::{ResolutionUnit, Tag};

use crate::ExtractError;
use crate::raster::{Raster, check_pixels, expand_bilevel};

/// Limits that apply while decoding one image.
#[derive(Clone, Copy)]
pub(crate) struct ImageLimits {
    pub max_pixels: u64,
    pub max_pages: u32,
}

fn malformed(e: impl std::fmt::Display) -> ExtractError {
    ExtractError::MalformedImage {
        detail: e.to_string(),
    }
}

/// Bytes a decoder may allocate for an image of `pixels` pixels: four bytes a pixel (RGBA) and
/// room for one conversion.
fn alloc_budget(pixels: u64) -> u64 {
    pixels.saturating_mul(8).saturating_add(16 << 20)
}

/// Decodes a PNG, JPEG or PGM (any single image the `image` crate reads) to one page, after
/// checking its size against `max_pixels`.
pub(crate) fn decode_single(
    bytes: &[u8],
    format: ImageFormat,
    max_pixels: u64,
) -> Result<Raster, ExtractError> {
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(malformed)?;
    check_pixels(width.into(), height.into(), max_pixels)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(width);
    decoder_limits.max_image_height = Some(height);
    decoder_limits.max_alloc = Some(alloc_budget(u64::from(width) * u64::from(height)));
    reader.limits(decoder_limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => ExtractError::TooManyPixels {
            width: width.into(),
            height: height.into(),
            limit: max_pixels,
        },
        other => malformed(other),
    })?;
    let ppi = match format {
        ImageFormat::Png => png_ppi(bytes),
        ImageFormat::Jpeg => jfif_ppi(bytes),
        _ => None,
    };
    Ok(Raster::from_dynamic(image, ppi))
}

/// The resolution a PNG states in its pHYs chunk.
fn png_ppi(bytes: &[u8]) -> Option<u32> {
    let reader = png::Decoder::new(Cursor::new(bytes)).read_info().ok()?;
    let dims = reader.info().pixel_dims?;
    (dims.unit == png::Unit::Meter).then(|| (f64::from(dims.xppu) * 0.0254).round() as u32)
}

/// The resolution a JPEG states in its JFIF header (APP0 right after SOI).
fn jfif_ppi(bytes: &[u8]) -> Option<u32> {
    let app0 = bytes.get(2..18)?;
    if app0[..2] != [0xff, 0xe0] || &app0[4..9] != b"JFIF\0" {
        return None;
    }
    let density = u32::from(u16::from_be_bytes([app0[12], app0[13]]));
    match app0[11] {
        1 => Some(density),
        2 => Some((f64::from(density) * 2.54).round() as u32),
        _ => None,
    }
    .filter(|&d| d > 1)
}

/// Decodes the pages of a TIFF one at a time and hands each to `visit` (with its 1-based
/// number) before the next is decoded, so that only one page is in memory. The page count is
/// checked against the limit first, from the directories alone. A broken directory chain is an
/// error of the document; an undecodable page is an error of that page only.
pub(crate) fn decode_tiff(
    bytes: &[u8],
    limits: ImageLimits,
    mut visit: impl FnMut(u32, Result<Raster, ExtractError>) -> Result<(), ExtractError>,
) -> Result<(), ExtractError> {
    let open = || -> Result<Decoder<Cursor<&[u8]>>, ExtractError> {
        let mut tiff_limits = tiff::decoder::Limits::default();
        tiff_limits.decoding_buffer_size =
            usize::try_from(alloc_budget(limits.max_pixels)).unwrap_or(usize::MAX);
        Ok(Decoder::new(Cursor::new(bytes))
            .map_err(malformed)?
            .with_limits(tiff_limits))
    };
    let mut counter = open()?;
    let mut pages: u64 = 1;
    while counter.more_images() {
        if pages >= u64::from(limits.max_pages) {
            return Err(ExtractError::TooManyPages {
                pages: pages + 1,
                limit: limits.max_pages,
            });
        }
        counter.next_image().map_err(malformed)?;
        pages += 1;
    }
    let mut decoder = open()?;
    for number in 1..=pages as u32 {
        if number > 1 {
            decoder.next_image().map_err(malformed)?;
        }
        visit(number, decode_tiff_page(&mut decoder, limits))?;
    }
    Ok(())
}

fn decode_tiff_page(
    decoder: &mut Decoder<Cursor<&[u8]>>,
    limits: ImageLimits,
) -> Result<Raster, ExtractError> {
    let (width, height) = decoder.dimensions().map_err(malformed)?;
    check_pixels(width.into(), height.into(), limits.max_pixels)?;
    let ppi = tiff_ppi(decoder);
    let color = decoder.colortype().map_err(malformed)?;
    let data = decoder.read_image().map_err(malformed)?;
    let n = width as usize * height as usize;
    let short = || malformed("image data shorter than its size");
    let image = match (color, data) {
        (ColorType::Gray(1), DecodingResult::U8(packed)) => {
            let gray = expand_bilevel(&packed, width, height, true).ok_or_else(short)?;
            return Ok(Raster::gray(gray, ppi));
        }
        (ColorType::Gray(8), DecodingResult::U8(v)) => image::DynamicImage::ImageLuma8(
            image::GrayImage::from_raw(width, height, v).ok_or_else(short)?,
        ),
        (ColorType::Gray(16), DecodingResult::U16(v)) => {
            let v: Vec<u8> = v.iter().take(n).map(|&s| (s >> 8) as u8).collect();
            image::DynamicImage::ImageLuma8(
                image::GrayImage::from_raw(width, height, v).ok_or_else(short)?,
            )
        }
        (ColorType::RGB(8), DecodingResult::U8(v)) => image::DynamicImage::ImageRgb8(
            image::RgbImage::from_raw(width, height, v).ok_or_else(short)?,
        ),
        (ColorType::RGB(16), DecodingResult::U16(v)) => {
            let v: Vec<u8> = v.iter().take(n * 3).map(|&s| (s >> 8) as u8).collect();
            image::DynamicImage::ImageRgb8(
                image::RgbImage::from_raw(width, height, v).ok_or_else(short)?,
            )
        }
        (ColorType::RGBA(8), DecodingResult::U8(v)) => image::DynamicImage::ImageRgba8(
            image::RgbaImage::from_raw(width, height, v).ok_or_else(short)?,
        ),
        (ColorType::GrayA(8), DecodingResult::U8(v)) => image::DynamicImage::ImageLumaA8(
            image::GrayAlphaImage::from_raw(width, height, v).ok_or_else(short)?,
        ),
        (ColorType::CMYK(8), DecodingResult::U8(v)) => {
            if v.len() < n * 4 {
                return Err(short());
            }
            let rgb: Vec<u8> = v
                .chunks_exact(4)
                .take(n)
                .flat_map(|p| {
                    let k = 255 - u16::from(p[3]);
                    [0, 1, 2].map(|c| ((255 - u16::from(p[c])) * k / 255) as u8)
                })
                .collect();
            image::DynamicImage::ImageRgb8(
                image::RgbImage::from_raw(width, height, rgb).ok_or_else(short)?,
            )
        }
        (color, _) => {
            return Err(ExtractError::UnsupportedFormat {
                detail: format!("TIFF page with pixel type {color:?}"),
            });
        }
    };
    Ok(Raster::from_dynamic(image, ppi))
}

/// The resolution a TIFF page states, in pixels per inch.
fn tiff_ppi(decoder: &mut Decoder<Cursor<&[u8]>>) -> Option<u32> {
    let x = decoder.get_tag_f32(Tag::XResolution).ok()?;
    let unit = decoder
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .and_then(ResolutionUnit::from_u16)
        .unwrap_or(ResolutionUnit::Inch);
    let ppi = match unit {
        ResolutionUnit::Centimeter => x * 2.54,
        ResolutionUnit::Inch => x,
        _ => return None,
    };
    (ppi.is_finite() && ppi > 1.0 && ppi < 100_000.0).then(|| ppi.round() as u32)
}
