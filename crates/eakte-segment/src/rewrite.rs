//! Rewriting a sealed segment without some of its frames: how disposition removes destroyed
//! records from an append-only log. The new file is written beside the old one, fsynced, and
//! renamed over it, so that after a crash the segment is either the old or the new one.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use crate::SegmentError;
use crate::frame::frame_header;
use crate::scan::{ScanItem, Scanner};
use crate::segment::{SEGMENT_HEADER_LEN, SegmentDir, fsync_dir};

/// One frame as read from a segment (its payload checks out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    /// The frame kind.
    pub kind: u8,
    /// The frame flags.
    pub flags: u8,
    /// The payload.
    pub payload: Vec<u8>,
}

/// What a rewrite did to one segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// The segment's length before.
    pub old_len: u64,
    /// Its length after.
    pub new_len: u64,
    /// Frames read (with intact payloads).
    pub frames_read: u64,
    /// Frames written.
    pub frames_written: u64,
    /// Damaged bytes found (a rewrite that finds any is refused).
    pub damaged_bytes: u64,
    /// Bytes of an unfinished last frame, left out.
    pub torn_bytes: u64,
}

/// Where a rewrite writes the frames it keeps.
pub struct Emit<'a> {
    out: &'a mut BufWriter<File>,
    offset: u64,
    written: u64,
    error: Option<std::io::Error>,
}

impl Emit<'_> {
    /// The offset in the new segment at which the next frame will start.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Writes a frame into the new segment.
    pub fn push(&mut self, kind: u8, flags: u8, payload: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let head = frame_header(kind, flags, &[payload]);
        let result = self
            .out
            .write_all(&head)
            .and_then(|()| self.out.write_all(payload));
        match result {
            Ok(()) => {
                self.offset += (head.len() + payload.len()) as u64;
                self.written += 1;
            }
            Err(e) => self.error = Some(e),
        }
    }
}

/// Rewrites segment `number` of `dir`: every intact frame is handed to `transform`, which
/// writes through [`Emit`] what is to stand in its place (the frame itself, a changed one, or
/// nothing; a transform may also hold frames back and write them with a later one). The segment
/// header is kept. A torn tail (an unfinished last frame) is left out; any other damage — bytes
/// that are no frame, a frame whose payload fails its checksum — refuses the rewrite
/// ([`SegmentError::Damaged`]) and leaves the segment as it was.
///
/// The caller must own the segment directory (its lock) and the segment must not be appended
/// to meanwhile. Side files that describe the old segment (its length, its offsets) no longer
/// match and must be rewritten or removed by the caller.
pub fn rewrite_segment(
    dir: &SegmentDir,
    number: u64,
    transform: &mut dyn FnMut(RawFrame, &mut Emit<'_>),
) -> Result<Rewritten, SegmentError> {
    let path = dir.segment(number);
    let io = |path: &PathBuf| {
        let path = path.clone();
        move |e| SegmentError::io(path, e)
    };
    let old = File::open(&path).map_err(io(&path))?;
    let old_len = old.metadata().map_err(io(&path))?.len();
    let mut header = [0u8; SEGMENT_HEADER_LEN as usize];
    old.read_exact_at(&mut header, 0).map_err(io(&path))?;

    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".rewrite");
    let tmp = PathBuf::from(tmp_name);
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io(&tmp))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut done = Rewritten {
        old_len,
        ..Rewritten::default()
    };
    let result = (|| -> Result<(), SegmentError> {
        out.write_all(&header).map_err(io(&tmp))?;
        let mut damage = None;
        let mut emit = Emit {
            out: &mut out,
            offset: SEGMENT_HEADER_LEN,
            written: 0,
            error: None,
        };
        for item in Scanner::new(&old, SEGMENT_HEADER_LEN, old_len) {
            match item.map_err(io(&path))? {
                ScanItem::Frame {
                    header,
                    payload,
                    payload_ok: true,
                    ..
                } => {
                    done.frames_read += 1;
                    let frame = RawFrame {
                        kind: header.kind,
                        flags: header.flags,
                        payload,
                    };
                    transform(frame, &mut emit);
                }
                ScanItem::Frame { header, offset, .. } => {
                    damage.get_or_insert(offset);
                    done.damaged_bytes += header.frame_len();
                }
                ScanItem::Damaged { offset, len } => {
                    damage.get_or_insert(offset);
                    done.damaged_bytes += len;
                }
                ScanItem::Torn { offset } => done.torn_bytes += old_len - offset,
            }
            if let Some(e) = emit.error.take() {
                return Err(SegmentError::io(&tmp, e));
            }
        }
        if let Some(offset) = damage {
            return Err(SegmentError::Damaged {
                path: path.clone(),
                offset,
                bytes: done.damaged_bytes,
            });
        }
        done.new_len = emit.offset;
        done.frames_written = emit.written;
        let file = out
            .into_inner()
            .map_err(|e| SegmentError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(io(&tmp))?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    fsync_dir(dir.path())?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode_frame;
    use crate::segment::{SegmentHeader, create_segment};

    fn segment_with(dir: &SegmentDir, frames: &[(u8, &[u8])]) -> PathBuf {
        let (mut file, path) = create_segment(
            dir,
            SegmentHeader {
                log: *b"TEST",
                version: 1,
                number: 1,
            },
        )
        .unwrap();
        let mut bytes = Vec::new();
        for (kind, payload) in frames {
            encode_frame(*kind, 0, payload, &mut bytes);
        }
        file.write_all(&bytes).unwrap();
        path
    }

    #[test]
    fn frames_are_kept_changed_or_dropped_and_a_torn_tail_is_left_out() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SegmentDir::open(tmp.path(), "seg").unwrap();
        let path = segment_with(&dir, &[(1, b"keep"), (2, b"secret"), (1, b"change me")]);
        // An unfinished last frame: the first bytes of a frame header.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&crate::frame::FRAME_MAGIC).unwrap();
        drop(file);
        let mut offsets = Vec::new();
        let done = rewrite_segment(&dir, 1, &mut |frame, out| {
            offsets.push(out.offset());
            match frame.kind {
                2 => {}
                _ if frame.payload == b"change me" => out.push(frame.kind, 0, b"changed"),
                _ => out.push(frame.kind, frame.flags, &frame.payload),
            }
        })
        .unwrap();
        // The second frame starts after the header and the first (16-byte header, 4 bytes).
        assert_eq!(offsets, vec![32, 52, 52]);
        assert_eq!((done.frames_read, done.frames_written), (3, 2));
        assert_eq!((done.torn_bytes, done.damaged_bytes), (2, 0));
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, done.new_len);
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("keep") && text.contains("changed"));
        // The header is the old one and the frames read back.
        let file = File::open(&path).unwrap();
        let kinds: Vec<u8> = Scanner::new(&file, SEGMENT_HEADER_LEN, done.new_len)
            .map(|item| match item.unwrap() {
                ScanItem::Frame { header, .. } => header.kind,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds, vec![1, 1]);
        assert!(!dir.path().join("00000001.seg.rewrite").exists());
    }

    #[test]
    fn a_damaged_segment_is_not_rewritten() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SegmentDir::open(tmp.path(), "seg").unwrap();
        let path = segment_with(&dir, &[(1, b"keep"), (2, b"secret"), (1, b"more")]);
        let mut bytes = std::fs::read(&path).unwrap();
        // Break the payload checksum of the middle frame.
        let at = bytes.windows(6).position(|w| w == b"secret").unwrap();
        bytes[at] ^= 0x20;
        std::fs::write(&path, &bytes).unwrap();
        let err = rewrite_segment(&dir, 1, &mut |frame, out| {
            out.push(frame.kind, frame.flags, &frame.payload)
        })
        .unwrap_err();
        assert!(matches!(err, SegmentError::Damaged { .. }), "{err}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "the segment is as it was"
        );
        assert!(!dir.path().join("00000001.seg.rewrite").exists());
    }
}
