//! Segment files on disk: naming, the 32-byte segment header, durable creation, and the
//! write-temp-fsync-rename discipline for side files.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::SegmentError;

/// Bytes in a segment header.
pub const SEGMENT_HEADER_LEN: u64 = 32;

const SEGMENT_MAGIC: [u8; 8] = *b"EAKTSEG\0";

/// The header at the start of every segment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Which log the segment belongs to, e.g. `*b"BLOB"` or `*b"JRNL"`.
    pub log: [u8; 4],
    /// The format version of the frames that follow.
    pub version: u16,
    /// The segment's number, equal to the number in its file name.
    pub number: u64,
}

impl SegmentHeader {
    /// Encodes the header with its checksum.
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_LEN as usize] {
        let mut out = [0u8; SEGMENT_HEADER_LEN as usize];
        out[0..8].copy_from_slice(&SEGMENT_MAGIC);
        out[8..12].copy_from_slice(&self.log);
        out[12..14].copy_from_slice(&self.version.to_le_bytes());
        out[16..24].copy_from_slice(&self.number.to_le_bytes());
        let crc = crc32c::crc32c(&out[0..28]);
        out[28..32].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes a header; `None` when the magic or checksum is wrong.
    pub fn decode(bytes: &[u8; SEGMENT_HEADER_LEN as usize]) -> Option<Self> {
        let crc = u32::from_le_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]);
        if bytes[0..8] != SEGMENT_MAGIC || crc32c::crc32c(&bytes[0..28]) != crc {
            return None;
        }
        let mut number = [0u8; 8];
        number.copy_from_slice(&bytes[16..24]);
        Some(Self {
            log: [bytes[8], bytes[9], bytes[10], bytes[11]],
            version: u16::from_le_bytes([bytes[12], bytes[13]]),
            number: u64::from_le_bytes(number),
        })
    }
}

/// A directory of numbered segment files (`00000001.seg`, `00000002.seg`, …).
#[derive(Debug, Clone)]
pub struct SegmentDir {
    path: PathBuf,
    extension: &'static str,
}

impl SegmentDir {
    /// A segment directory; the directory is created when missing (and its parent fsynced, so
    /// that the new directory survives a power loss).
    pub fn open(path: impl Into<PathBuf>, extension: &'static str) -> Result<Self, SegmentError> {
        let path = path.into();
        if !path.is_dir() {
            std::fs::create_dir_all(&path).map_err(|e| SegmentError::io(&path, e))?;
            if let Some(parent) = path.parent() {
                fsync_dir(parent)?;
            }
        }
        Ok(Self { path, extension })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file of segment `number` with the given extension (the segment's own, or a side
    /// file's such as `idx`).
    pub fn file(&self, number: u64, extension: &str) -> PathBuf {
        self.path.join(format!("{number:08}.{extension}"))
    }

    /// The segment file of `number`.
    pub fn segment(&self, number: u64) -> PathBuf {
        self.file(number, self.extension)
    }

    /// The numbers of all segment files, ascending. Files with other names are ignored.
    pub fn list(&self) -> Result<Vec<u64>, SegmentError> {
        let mut numbers = Vec::new();
        let entries = std::fs::read_dir(&self.path).map_err(|e| SegmentError::io(&self.path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| SegmentError::io(&self.path, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(stem) = name.strip_suffix(self.extension) else {
                continue;
            };
            let Some(stem) = stem.strip_suffix('.') else {
                continue;
            };
            // Numbers are written with at least eight digits; past 99,999,999 they grow.
            if stem.len() >= 8
                && stem.bytes().all(|b| b.is_ascii_digit())
                && let Ok(n) = stem.parse::<u64>()
            {
                numbers.push(n);
            }
        }
        numbers.sort_unstable();
        Ok(numbers)
    }
}

/// Creates a new segment file with its header, fsyncs it and then its directory, and returns it
/// open for reading and appending. Fails when the file exists.
pub fn create_segment(
    dir: &SegmentDir,
    header: SegmentHeader,
) -> Result<(File, PathBuf), SegmentError> {
    let path = dir.segment(header.number);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| SegmentError::io(&path, e))?;
    if let Err(e) = file
        .write_all(&header.encode())
        .and_then(|()| file.sync_all())
    {
        // Leave no half-made segment behind: it would block creating this number again.
        let _ = std::fs::remove_file(&path);
        return Err(SegmentError::io(&path, e));
    }
    fsync_dir(dir.path())?;
    Ok((file, path))
}

/// Fsyncs a directory, so that a file created or renamed in it survives a crash.
pub fn fsync_dir(path: &Path) -> Result<(), SegmentError> {
    File::open(path)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| SegmentError::io(path, e))
}

/// Replaces `path` with `bytes` so that after a crash it holds either the old or the new
/// content: write a temporary file, fsync it, rename it over `path`, fsync the directory.
pub fn write_file_durably(path: &Path, bytes: &[u8]) -> Result<(), SegmentError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let result = File::create(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(SegmentError::io(&tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| SegmentError::io(path, e))?;
    fsync_dir(parent)
}

/// Copies bytes `from..to` of a segment into the quarantine directory, durably, before they are
/// cut off: nothing is thrown away without a trace. An earlier file of the same name is never
/// overwritten.
pub fn keep_in_quarantine(
    quarantine: &Path,
    segment: &Path,
    file: &File,
    from: u64,
    to: u64,
) -> Result<(), SegmentError> {
    create_dir_durably(quarantine)?;
    let name = segment
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (target, mut out) = loop {
        let suffix = if attempt == 0 {
            String::new()
        } else {
            format!(".{attempt}")
        };
        let target = quarantine.join(format!("{name}.{from}.torn{suffix}"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
        {
            Ok(out) => break (target, out),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 10_000 => {
                attempt += 1;
            }
            Err(e) => return Err(SegmentError::io(&target, e)),
        }
    };
    let mut source = file.try_clone().map_err(|e| SegmentError::io(segment, e))?;
    source
        .seek(SeekFrom::Start(from))
        .map_err(|e| SegmentError::io(segment, e))?;
    std::io::copy(&mut source.take(to - from), &mut out)
        .and_then(|_| out.sync_all())
        .map_err(|e| SegmentError::io(&target, e))?;
    fsync_dir(quarantine)
}

/// Creates a directory if missing and fsyncs its parent, so that the directory itself survives
/// a power loss.
pub fn create_dir_durably(dir: &Path) -> Result<(), SegmentError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| SegmentError::io(dir, e))?;
    if let Some(parent) = dir.parent() {
        fsync_dir(parent)?;
    }
    Ok(())
}

/// Takes the exclusive lock file `LOCK` in `dir` for this process's lifetime (the returned file
/// holds it); `None` when another process holds it.
pub fn lock_directory(dir: &Path) -> Result<Option<File>, SegmentError> {
    let path = dir.join("LOCK");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| SegmentError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(SegmentError::io(&path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_damage() {
        let header = SegmentHeader {
            log: *b"BLOB",
            version: 1,
            number: 42,
        };
        let mut bytes = header.encode();
        assert_eq!(SegmentHeader::decode(&bytes), Some(header));
        bytes[17] ^= 1;
        assert_eq!(SegmentHeader::decode(&bytes), None);
    }

    #[test]
    fn lists_only_segment_files_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SegmentDir::open(tmp.path().join("segs"), "seg").unwrap();
        for n in [3, 1, 2] {
            let header = SegmentHeader {
                log: *b"TEST",
                version: 1,
                number: n,
            };
            create_segment(&dir, header).unwrap();
        }
        std::fs::write(dir.file(1, "idx"), b"x").unwrap();
        std::fs::write(dir.path().join("notes.seg"), b"x").unwrap();
        assert_eq!(dir.list().unwrap(), vec![1, 2, 3]);
        let again = create_segment(
            &dir,
            SegmentHeader {
                log: *b"TEST",
                version: 1,
                number: 2,
            },
        );
        assert!(again.is_err(), "creating an existing segment must fail");
    }

    #[test]
    fn durable_write_replaces_content() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("side.idx");
        write_file_durably(&path, b"one").unwrap();
        write_file_durably(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert!(!tmp.path().join("side.idx.tmp").exists());
    }
}
