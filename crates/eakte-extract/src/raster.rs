//! A decoded page image, grey or RGB, in the form Tesseract takes.

use image::{DynamicImage, GrayImage, RgbImage, imageops};

use crate::ExtractError;

/// The pixels of one page image.
pub(crate) enum Pixels {
    /// 8-bit grey.
    Gray(GrayImage),
    /// 8-bit RGB.
    Rgb(RgbImage),
}

/// A page image ready for OCR, with its resolution where the file states one.
pub(crate) struct Raster {
    pub pixels: Pixels,
    pub ppi: Option<u32>,
}

impl Raster {
    pub fn gray(image: GrayImage, ppi: Option<u32>) -> Self {
        Self {
            pixels: Pixels::Gray(image),
            ppi,
        }
    }

    /// Converts a decoded image; transparency is laid over white, as on paper.
    pub fn from_dynamic(image: DynamicImage, ppi: Option<u32>) -> Self {
        let pixels = if image.color().has_alpha() {
            let mut rgba = image.into_rgba8();
            for p in rgba.pixels_mut() {
                let a = u16::from(p[3]);
                for c in 0..3 {
                    p[c] = ((u16::from(p[c]) * a + 255 * (255 - a)) / 255) as u8;
                }
                p[3] = 255;
            }
            let rgb = DynamicImage::ImageRgba8(rgba).into_rgb8();
            Pixels::Rgb(rgb)
        } else if image.color().has_color() {
            Pixels::Rgb(image.into_rgb8())
        } else {
            Pixels::Gray(image.into_luma8())
        };
        Self { pixels, ppi }
    }

    pub fn width(&self) -> u32 {
        match &self.pixels {
            Pixels::Gray(i) => i.width(),
            Pixels::Rgb(i) => i.width(),
        }
    }

    pub fn height(&self) -> u32 {
        match &self.pixels {
            Pixels::Gray(i) => i.height(),
            Pixels::Rgb(i) => i.height(),
        }
    }

    /// The raw rows and the bytes per pixel.
    pub fn bytes(&self) -> (&[u8], u32) {
        match &self.pixels {
            Pixels::Gray(i) => (i.as_raw(), 1),
            Pixels::Rgb(i) => (i.as_raw(), 3),
        }
    }

    /// Turns the image clockwise by 90, 180 or 270 degrees (any other value leaves it as it is).
    pub fn rotate_clockwise(self, degrees: u16) -> Self {
        let pixels = match (self.pixels, degrees) {
            (Pixels::Gray(i), 90) => Pixels::Gray(imageops::rotate90(&i)),
            (Pixels::Gray(i), 180) => Pixels::Gray(imageops::rotate180(&i)),
            (Pixels::Gray(i), 270) => Pixels::Gray(imageops::rotate270(&i)),
            (Pixels::Rgb(i), 90) => Pixels::Rgb(imageops::rotate90(&i)),
            (Pixels::Rgb(i), 180) => Pixels::Rgb(imageops::rotate180(&i)),
            (Pixels::Rgb(i), 270) => Pixels::Rgb(imageops::rotate270(&i)),
            (pixels, _) => pixels,
        };
        Self {
            pixels,
            ppi: self.ppi,
        }
    }
}

/// Refuses an image of more than `limit` pixels, before anything is allocated for it.
pub(crate) fn check_pixels(width: u64, height: u64, limit: u64) -> Result<(), ExtractError> {
    if width == 0 || height == 0 {
        return Err(ExtractError::MalformedImage {
            detail: format!("image of {width}x{height} pixels"),
        });
    }
    if width.saturating_mul(height) > limit {
        return Err(ExtractError::TooManyPixels {
            width,
            height,
            limit,
        });
    }
    Ok(())
}

/// Expands 1-bit rows (most significant bit first, each row padded to whole bytes, 1 = white)
/// to 8-bit grey.
pub(crate) fn expand_bilevel(
    packed: &[u8],
    width: u32,
    height: u32,
    one_is_white: bool,
) -> Option<GrayImage> {
    let stride = (width as usize).div_ceil(8);
    if packed.len() < stride.checked_mul(height as usize)? {
        return None;
    }
    let (one, zero) = if one_is_white { (255, 0) } else { (0, 255) };
    let mut out = Vec::with_capacity(width as usize * height as usize);
    for row in packed.chunks(stride).take(height as usize) {
        for x in 0..width as usize {
            let bit = (row[x / 8] >> (7 - x % 8)) & 1;
            out.push(if bit == 1 { one } else { zero });
        }
    }
    GrayImage::from_raw(width, height, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_limit_refuses_before_allocation() {
        assert!(check_pixels(2480, 3508, 100_000_000).is_ok());
        let err = check_pixels(20_000, 20_000, 100_000_000).unwrap_err();
        assert_eq!(err.code(), "too_many_pixels");
        assert_eq!(
            check_pixels(0, 5, 10).unwrap_err().code(),
            "malformed_image"
        );
    }

    #[test]
    fn bilevel_rows_expand_with_padding() {
        // 10 px wide: two bytes a row; row 1 = black then white, row 2 = all white.
        let packed = [0b0111_1111, 0b1100_0000, 0xff, 0xff];
        let img = expand_bilevel(&packed, 10, 2, true).unwrap();
        assert_eq!(img.get_pixel(0, 0)[0], 0);
        assert_eq!(img.get_pixel(1, 0)[0], 255);
        assert_eq!(img.get_pixel(9, 0)[0], 255);
        assert_eq!(img.get_pixel(5, 1)[0], 255);
        assert!(expand_bilevel(&packed[..3], 10, 2, true).is_none());
        let inverted = expand_bilevel(&packed, 10, 2, false).unwrap();
        assert_eq!(inverted.get_pixel(0, 0)[0], 255);
    }

    #[test]
    fn rotation_turns_clockwise() {
        // A 2x1 image: left black, right white. Turned clockwise by 90, it is 1x2 with black on top.
        let img = GrayImage::from_raw(2, 1, vec![0, 255]).unwrap();
        let turned = Raster::gray(img, None).rotate_clockwise(90);
        assert_eq!((turned.width(), turned.height()), (1, 2));
        assert_eq!(turned.bytes().0, &[0, 255]);
    }
}
