//! Plain text files: UTF-8, UTF-16 with a byte-order mark, or Windows-1252.

use encoding_rs::{UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// True when the bytes are text in one of the encodings read here: no NUL bytes (but for
/// UTF-16) and few control characters.
pub(crate) fn looks_like_text(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return true;
    }
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    !sample.contains(&0) && controls * 100 <= sample.len()
}

/// Decodes a text file: by its byte-order mark; else as UTF-8 if it is valid UTF-8; else as
/// Windows-1252 (a superset of Latin-1 in its printable range), the usual legacy encoding of
/// German text. Returns the text and the encoding's name.
pub(crate) fn decode(bytes: &[u8]) -> (String, &'static str) {
    for (bom, encoding) in [
        (&[0xef, 0xbb, 0xbf][..], UTF_8),
        (&[0xff, 0xfe][..], UTF_16LE),
        (&[0xfe, 0xff][..], UTF_16BE),
    ] {
        if bytes.starts_with(bom) {
            let (text, _) = encoding.decode_without_bom_handling(&bytes[bom.len()..]);
            return (normalise_newlines(&text), encoding.name());
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (normalise_newlines(text), UTF_8.name()),
        Err(_) => {
            let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
            (normalise_newlines(&text), WINDOWS_1252.name())
        }
    }
}

fn normalise_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_and_windows_1252_are_told_apart() {
        let german = "Straße, Größe, Übermittlung\r\n";
        let (text, enc) = decode(german.as_bytes());
        assert_eq!(
            (text.as_str(), enc),
            ("Straße, Größe, Übermittlung\n", "UTF-8")
        );
        let (cp1252, _, _) = WINDOWS_1252.encode(german);
        assert!(std::str::from_utf8(&cp1252).is_err());
        let (text, enc) = decode(&cp1252);
        assert_eq!(
            (text.as_str(), enc),
            ("Straße, Größe, Übermittlung\n", "windows-1252")
        );
        // The euro sign is 0x80 in Windows-1252, not a control character.
        assert_eq!(decode(b"5 \x80").0, "5 €");
        assert!(looks_like_text(&cp1252));
    }

    #[test]
    fn utf16_with_bom_is_read() {
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend("Müller".encode_utf16().flat_map(u16::to_le_bytes));
        assert!(looks_like_text(&bytes));
        assert_eq!(decode(&bytes), ("Müller".to_owned(), "UTF-16LE"));
    }

    #[test]
    fn binary_is_not_text() {
        assert!(!looks_like_text(b"abc\0def"));
        assert!(!looks_like_text(&[1, 2, 3, 4, 5, 6, 7, 8, b'a']));
    }
}
