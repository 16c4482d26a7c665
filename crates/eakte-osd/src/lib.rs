//! Page orientation detection (Tesseract's OSD) through libtesseract's C API.
//!
//! The `tesseract` crate, through which eakte runs OCR, offers no call for orientation and script
//! detection, so this binding crate makes the one call it needs on its own handle. It is the only
//! crate of the workspace that may use `unsafe`; every unsafe block states why it is sound.

use std::ffi::{CString, c_char, c_int};
use std::ptr;

use tesseract_sys::{
    TessBaseAPI, TessBaseAPIClear, TessBaseAPICreate, TessBaseAPIDelete,
    TessBaseAPIDetectOrientationScript, TessBaseAPIInit3, TessBaseAPISetImage,
    TessBaseAPISetSourceResolution,
};

/// Why the detector could not be made or could not look at an image.
#[derive(Debug, thiserror::Error)]
pub enum OsdError {
    /// The `osd` model could not be loaded (package `tesseract-ocr-osd` missing, or a bad path).
    #[error("tesseract could not load the osd model from {datapath}")]
    Init {
        /// The tessdata directory that was tried (`default` for the built-in one).
        datapath: String,
    },
    /// The path or image given cannot be passed to the C API.
    #[error("invalid input for orientation detection: {0}")]
    Input(&'static str),
}

/// What the detector found on a page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orientation {
    /// How far the page is rotated clockwise from upright: 0, 90, 180 or 270 degrees. Rotating
    /// the image counter-clockwise by this many degrees makes it upright.
    pub degrees: u16,
    /// Tesseract's confidence in `degrees`; higher is surer (values above ~2 are usable, clear
    /// full pages reach 10 to 40).
    pub confidence: f32,
}

/// A Tesseract handle loaded with the `osd` model, reused for every page of a worker.
pub struct OsdDetector {
    handle: ptr::NonNull<TessBaseAPI>,
}

impl OsdDetector {
    /// Loads the `osd` model from `datapath` (None: Tesseract's built-in tessdata directory).
    pub fn new(datapath: Option<&str>) -> Result<Self, OsdError> {
        let datapath_c = datapath
            .map(CString::new)
            .transpose()
            .map_err(|_| OsdError::Input("datapath contains a NUL byte"))?;
        // SAFETY: TessBaseAPICreate has no preconditions; it returns a new handle or null.
        let raw = unsafe { TessBaseAPICreate() };
        let handle = ptr::NonNull::new(raw).ok_or(OsdError::Init {
            datapath: datapath.unwrap_or("default").to_owned(),
        })?;
        let detector = Self { handle };
        let lang = c"osd";
        // SAFETY: the handle is live; both strings are NUL-terminated and outlive the call
        // (Tesseract copies them).
        let status = unsafe {
            TessBaseAPIInit3(
                detector.handle.as_ptr(),
                datapath_c.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
                lang.as_ptr(),
            )
        };
        if status != 0 {
            return Err(OsdError::Init {
                datapath: datapath.unwrap_or("default").to_owned(),
            });
        }
        Ok(detector)
    }

    /// Detects the orientation of an 8-bit image (`bytes_per_pixel` 1 for grey, 3 for RGB, 4 for
    /// RGBA) laid
    /// out row by row without padding. Returns None where Tesseract finds too little text to say.
    pub fn detect(
        &mut self,
        pixels: &[u8],
        width: u32,
        height: u32,
        bytes_per_pixel: u32,
        ppi: Option<u32>,
    ) -> Result<Option<Orientation>, OsdError> {
        let w = c_int::try_from(width).map_err(|_| OsdError::Input("image too wide"))?;
        let h = c_int::try_from(height).map_err(|_| OsdError::Input("image too high"))?;
        let bpp =
            c_int::try_from(bytes_per_pixel).map_err(|_| OsdError::Input("bad pixel size"))?;
        if !(bpp == 1 || bpp == 3 || bpp == 4) || w == 0 || h == 0 {
            return Err(OsdError::Input(
                "pixel layout must be 1, 3 or 4 bytes per pixel",
            ));
        }
        let line = w
            .checked_mul(bpp)
            .ok_or(OsdError::Input("image too wide"))?;
        let expected = usize::try_from(line)
            .ok()
            .and_then(|l| l.checked_mul(usize::try_from(h).ok()?))
            .ok_or(OsdError::Input("image too large"))?;
        if pixels.len() != expected {
            return Err(OsdError::Input(
                "pixel buffer does not match the image size",
            ));
        }
        let mut degrees: c_int = 0;
        let mut confidence: f32 = 0.0;
        let mut script: *const c_char = ptr::null();
        let mut script_confidence: f32 = 0.0;
        // SAFETY: the handle is live and `pixels` holds exactly `h` rows of `line` bytes, checked
        // above; Tesseract copies the image in SetImage, so the borrow need only last this call.
        // The out-pointers point to locals; the script name points into the handle's own tables
        // and is never read.
        let found = unsafe {
            let handle = self.handle.as_ptr();
            TessBaseAPISetImage(handle, pixels.as_ptr(), w, h, bpp, line);
            if let Some(ppi) = ppi.and_then(|p| c_int::try_from(p).ok()) {
                TessBaseAPISetSourceResolution(handle, ppi);
            }
            let found = TessBaseAPIDetectOrientationScript(
                handle,
                &mut degrees,
                &mut confidence,
                &mut script,
                &mut script_confidence,
            );
            // Frees the handle's copy of the page until the next one.
            TessBaseAPIClear(handle);
            found
        };
        if found == 0 {
            return Ok(None);
        }
        let degrees = match degrees.rem_euclid(360) {
            d @ (0 | 90 | 180 | 270) => d as u16,
            _ => return Ok(None),
        };
        Ok(Some(Orientation {
            degrees,
            confidence,
        }))
    }
}

impl Drop for OsdDetector {
    fn drop(&mut self) {
        // SAFETY: the handle was made by TessBaseAPICreate and is deleted exactly once, here.
        unsafe { TessBaseAPIDelete(self.handle.as_ptr()) }
    }
}
