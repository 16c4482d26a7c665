//! Getting the message XML out of untrusted input: a zip container or the bare XML.
//!
//! Only sizes actually inflated count: the reader takes at most one byte more than the limit
//! from an entry, whatever its header claims.

use std::borrow::Cow;
use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::error::{XdomeaError, quote};
use crate::limits::{
    MAX_ENTRY_BYTES, MAX_INPUT_BYTES, MAX_TOTAL_BYTES, MAX_XML_BYTES, MAX_ZIP_ENTRIES,
};
use crate::message::MessageType;

/// Signature of a zip local file header or of the end record of an empty zip.
const ZIP_SIGNATURES: [&[u8]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];

/// Returns the message XML of `kind` from a zip container or bare XML.
pub(crate) fn message_xml(bytes: &[u8], kind: MessageType) -> Result<Cow<'_, [u8]>, XdomeaError> {
    if exceeds(bytes.len(), MAX_INPUT_BYTES) {
        return Err(XdomeaError::TooLarge {
            what: "input",
            limit: MAX_INPUT_BYTES,
        });
    }
    let xml = if ZIP_SIGNATURES.iter().any(|sig| bytes.starts_with(sig)) {
        Cow::Owned(from_zip(bytes, kind)?)
    } else {
        Cow::Borrowed(bytes)
    };
    if exceeds(xml.len(), MAX_XML_BYTES) {
        return Err(XdomeaError::TooLarge {
            what: "message XML",
            limit: MAX_XML_BYTES,
        });
    }
    Ok(xml)
}

fn exceeds(len: usize, limit: u64) -> bool {
    u64::try_from(len).map_or(true, |len| len > limit)
}

fn from_zip(bytes: &[u8], kind: MessageType) -> Result<Vec<u8>, XdomeaError> {
    check_declared_entries(bytes)?;
    let mut archive = ZipArchive::new(Cursor::new(bytes))?;
    if exceeds(archive.len(), MAX_ZIP_ENTRIES) {
        return Err(too_many_entries());
    }
    let index = message_entry(&archive, kind)?;
    let mut budget = MAX_TOTAL_BYTES;
    read_entry(&mut archive, index, &mut budget)
}

/// Refuses a container whose end record announces more entries than allowed, before the zip
/// reader sizes its tables by that number. Every end-record signature in the tail is checked,
/// since the reader may try more than one; the value 0xFFFF (more entries than the 32-bit record
/// holds) is over the limit as well.
fn check_declared_entries(bytes: &[u8]) -> Result<(), XdomeaError> {
    const END_RECORD_LEN: usize = 22;
    const MAX_COMMENT_LEN: usize = 0xFFFF;
    let tail_start = bytes.len().saturating_sub(END_RECORD_LEN + MAX_COMMENT_LEN);
    let tail = &bytes[tail_start..];
    for window in tail.windows(END_RECORD_LEN) {
        if !window.starts_with(ZIP_SIGNATURES[1]) {
            continue;
        }
        let on_disk = u16::from_le_bytes([window[8], window[9]]);
        let total = u16::from_le_bytes([window[10], window[11]]);
        if u64::from(on_disk.max(total)) > MAX_ZIP_ENTRIES {
            return Err(too_many_entries());
        }
    }
    Ok(())
}

fn too_many_entries() -> XdomeaError {
    XdomeaError::TooLarge {
        what: "number of zip entries",
        limit: MAX_ZIP_ENTRIES,
    }
}

/// Picks the entry holding the message: a top-level `<ProzessID>_<element>.xml`. Without one,
/// the single other top-level XML file is taken, so that a container of another message type
/// is reported as such rather than as incomplete.
fn message_entry(
    archive: &ZipArchive<Cursor<&[u8]>>,
    kind: MessageType,
) -> Result<usize, XdomeaError> {
    let suffix = format!("{}.xml", kind.element());
    let mut expected = Vec::new();
    let mut other_xml = Vec::new();
    for index in 0..archive.len() {
        let Some(Ok(name)) = archive.name_for_index(index) else {
            continue;
        };
        if name.contains(['/', '\\']) || !name.to_ascii_lowercase().ends_with(".xml") {
            continue;
        }
        if name == suffix || name.ends_with(&format!("_{suffix}")) {
            expected.push(index);
        } else {
            other_xml.push(index);
        }
    }
    match (expected.as_slice(), other_xml.as_slice()) {
        ([index], _) => Ok(*index),
        ([], [index]) => Ok(*index),
        ([], []) => Err(XdomeaError::MissingFile {
            name: format!("<ProzessID>_{suffix}"),
        }),
        ([], _) => Err(XdomeaError::MissingFile {
            name: format!("<ProzessID>_{suffix} (the container holds other XML files)"),
        }),
        _ => Err(XdomeaError::Malformed {
            what: format!("the container holds several {} messages", kind.element()),
        }),
    }
}

/// Inflates one entry, counting against the per-entry limit and the container's `budget`.
fn read_entry(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    index: usize,
    budget: &mut u64,
) -> Result<Vec<u8>, XdomeaError> {
    let entry = archive.by_index(index)?;
    let name = entry.name().map(|n| quote(&n)).unwrap_or_default();
    if entry.encrypted() {
        return Err(XdomeaError::Zip {
            what: format!("entry {name:?} is encrypted"),
        });
    }
    let limit = MAX_ENTRY_BYTES.min(*budget);
    let mut bytes = Vec::new();
    entry
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| XdomeaError::Zip {
            what: format!("entry {name:?}: {error}"),
        })?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        let (what, limit) = if limit == MAX_ENTRY_BYTES {
            ("uncompressed zip entry", MAX_ENTRY_BYTES)
        } else {
            ("uncompressed zip content", MAX_TOTAL_BYTES)
        };
        return Err(XdomeaError::TooLarge { what, limit });
    }
    *budget -= read;
    Ok(bytes)
}
