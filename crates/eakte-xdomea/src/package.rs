//! Writing the zip container.
//!
//! All entries sit at the top level of the container, the message XML first; entries are
//! deflated and dated with the message's creation time, so the same input always yields the
//! same bytes.

use std::collections::HashSet;
use std::io::{Cursor, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::error::XdomeaError;

/// Builds a container entry by entry, so primary files need not all be in memory at once.
pub(crate) struct ZipBuilder {
    writer: ZipWriter<Cursor<Vec<u8>>>,
    options: SimpleFileOptions,
    names: HashSet<String>,
}

impl ZipBuilder {
    /// Starts a container whose entries carry `created` as modification time.
    pub(crate) fn new(created: DateTime<Utc>) -> Self {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(dos_time(created))
            .unix_permissions(0o644);
        ZipBuilder {
            writer: ZipWriter::new(Cursor::new(Vec::new())),
            options,
            names: HashSet::new(),
        }
    }

    /// Adds one file; names are compared without case, since archives unpack containers on
    /// file systems that ignore it.
    pub(crate) fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), XdomeaError> {
        if !self.names.insert(name.to_lowercase()) {
            return Err(XdomeaError::DuplicateFileName {
                name: name.to_owned(),
            });
        }
        let large = u64::try_from(bytes.len()).map_or(true, |len| len >= u64::from(u32::MAX));
        self.writer
            .start_file(name, self.options.large_file(large))?;
        self.writer
            .write_all(bytes)
            .map_err(|error| XdomeaError::Zip {
                what: error.to_string(),
            })
    }

    /// Finishes the container and returns its bytes.
    pub(crate) fn finish(self) -> Result<Vec<u8>, XdomeaError> {
        Ok(self.writer.finish()?.into_inner())
    }
}

/// The creation time as DOS date and time; a time outside the DOS range (1980–2107) falls back
/// to the format's default rather than failing a message over a timestamp nobody reads.
fn dos_time(created: DateTime<Utc>) -> zip::DateTime {
    let parts = (
        u16::try_from(created.year()),
        u8::try_from(created.month()),
        u8::try_from(created.day()),
        u8::try_from(created.hour()),
        u8::try_from(created.minute()),
        u8::try_from(created.second()),
    );
    match parts {
        (Ok(year), Ok(month), Ok(day), Ok(hour), Ok(minute), Ok(second)) => {
            zip::DateTime::from_date_and_time(year, month, day, hour, minute, second)
                .unwrap_or_default()
        }
        _ => zip::DateTime::default(),
    }
}
