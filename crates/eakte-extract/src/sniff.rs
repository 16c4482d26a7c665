//! What a file is, told from its bytes and never from its name.

/// The formats extraction reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PDF (the `%PDF-` header within the first KiB, as readers accept it).
    Pdf,
    /// TIFF, little- or big-endian, classic or BigTIFF.
    Tiff,
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// Text: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252.
    Text,
}

impl Format {
    /// The media type of the format.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Tiff => "image/tiff",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Text => "text/plain",
        }
    }

    /// Recognises the format of a file's bytes, or says what it seems to be instead.
    pub fn sniff(bytes: &[u8]) -> Result<Self, String> {
        let head = &bytes[..bytes.len().min(1024)];
        // Signatures at the start first: an image that happens to contain "%PDF-" is an image.
        if head.starts_with(b"II*\0")
            || head.starts_with(b"MM\0*")
            || head.starts_with(b"II+\0")
            || head.starts_with(b"MM\0+")
        {
            return Ok(Self::Tiff);
        }
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Ok(Self::Png);
        }
        if head.starts_with(&[0xff, 0xd8, 0xff]) {
            return Ok(Self::Jpeg);
        }
        // Readers accept a PDF header anywhere in the first KiB.
        if memchr::memmem::find(head, b"%PDF-").is_some() {
            return Ok(Self::Pdf);
        }
        if let Some(kind) = known_other(head) {
            return Err(kind.to_owned());
        }
        if bytes.is_empty() {
            return Err("an empty file".to_owned());
        }
        if crate::text_file::looks_like_text(bytes) {
            return Ok(Self::Text);
        }
        // A PDF whose header was lost still has its object and cross-reference keywords; the
        // parser then says precisely what is wrong with it.
        if memchr::memmem::find(bytes, b"startxref").is_some()
            || (memchr::memmem::find(bytes, b" obj").is_some()
                && memchr::memmem::find(bytes, b"endobj").is_some())
        {
            return Ok(Self::Pdf);
        }
        Err("binary data of an unknown format".to_owned())
    }
}

/// Formats that are common in a records office but not (yet) extracted, named so that the
/// refusal says what the file is.
fn known_other(head: &[u8]) -> Option<&'static str> {
    let magic: &[(&[u8], &str)] = &[
        (
            b"PK\x03\x04",
            "a ZIP container (office document or archive)",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "an OLE2 file (old Office document or Outlook message)",
        ),
        (b"GIF8", "a GIF image"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
        (b"Rar!", "a RAR archive"),
        (b"RIFF", "a RIFF file (WebP image or media)"),
        (b"\0\0\0\x0cjP  ", "a JPEG 2000 image"),
    ];
    // "BM" alone starts ordinary text too; a BMP header also has zero reserved bytes.
    if head.len() >= 26 && head.starts_with(b"BM") && head[6..10] == [0, 0, 0, 0] {
        return Some("a BMP image");
    }
    magic
        .iter()
        .find(|(m, _)| head.starts_with(m))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_bytes() {
        assert_eq!(Format::sniff(b"%PDF-1.7\n...").unwrap(), Format::Pdf);
        assert_eq!(
            Format::sniff(b"garbage before %PDF-1.4").unwrap(),
            Format::Pdf
        );
        assert_eq!(Format::sniff(b"II*\0\x08\0\0\0").unwrap(), Format::Tiff);
        assert_eq!(Format::sniff(b"MM\0*\0\0\0\x08").unwrap(), Format::Tiff);
        assert_eq!(
            Format::sniff(b"\x89PNG\r\n\x1a\n....").unwrap(),
            Format::Png
        );
        assert_eq!(
            Format::sniff(&[0xff, 0xd8, 0xff, 0xe0]).unwrap(),
            Format::Jpeg
        );
        assert_eq!(
            Format::sniff("Grüße aus Köln\n".as_bytes()).unwrap(),
            Format::Text
        );
        assert!(
            Format::sniff(b"PK\x03\x04rest")
                .unwrap_err()
                .contains("ZIP")
        );
        assert!(Format::sniff(b"").unwrap_err().contains("empty"));
        assert_eq!(
            Format::sniff(b"BMF-Schreiben vom 3. Mai\n").unwrap(),
            Format::Text
        );
        let mut bmp = b"BM\x46\0\0\0\0\0\0\0\x36\0\0\0".to_vec();
        bmp.resize(70, 0);
        assert!(Format::sniff(&bmp).unwrap_err().contains("BMP"));
        let mut png_with_pdf = b"\x89PNG\r\n\x1a\n".to_vec();
        png_with_pdf.extend_from_slice(b"tEXt %PDF-1.4");
        assert_eq!(Format::sniff(&png_with_pdf).unwrap(), Format::Png);
        assert!(
            Format::sniff(&[0u8, 1, 2, 3, 0, 0, 7])
                .unwrap_err()
                .contains("binary")
        );
        // A PDF without its header is still read as one (and then found damaged or not).
        assert_eq!(
            Format::sniff(b"\xff\xff\n1 0 obj\n<<>>\nendobj\n\0").unwrap(),
            Format::Pdf
        );
    }
}
