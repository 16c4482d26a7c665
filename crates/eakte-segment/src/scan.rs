//! Reading a segment file frame by frame, telling a torn tail from damage in the middle.
//!
//! A crash while appending leaves a *prefix* of what was written: the last frame's header or
//! payload runs past the end of the file (or, after a power loss on some file systems, the tail
//! reads as zeros). Anything else that does not check out is damage, and the scanner skips it by
//! searching for the next valid frame header, so that one bad byte never hides the frames after it.

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::frame::{FRAME_HEADER_LEN, FRAME_MAGIC, FrameHeader};

/// How much the scanner reads at once.
const WINDOW: usize = 1 << 20;

/// One thing found while scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanItem {
    /// A frame with a valid header. `payload_ok` is false when its payload checksum fails.
    Frame {
        /// Offset of the frame header in the file.
        offset: u64,
        /// The decoded header.
        header: FrameHeader,
        /// The payload bytes as stored.
        payload: Vec<u8>,
        /// Whether the payload matches its checksum.
        payload_ok: bool,
    },
    /// Bytes that are not a valid frame, up to the next valid frame header or the end of file.
    Damaged {
        /// Where the bad bytes start.
        offset: u64,
        /// How many bytes were skipped.
        len: u64,
    },
    /// The file ends inside a frame (or in zeros): what a crash during an append leaves. Always
    /// the last item.
    Torn {
        /// Where the incomplete frame starts; cutting the file here loses only what was never
        /// completely written.
        offset: u64,
    },
}

/// Iterates over the frames of one segment file between `start` and the file's length.
pub struct Scanner<'a> {
    file: &'a File,
    len: u64,
    pos: u64,
    window: Vec<u8>,
    window_start: u64,
    done: bool,
}

impl<'a> Scanner<'a> {
    /// Scans `file`, whose length is `len`, starting at `start` (usually after the segment
    /// header).
    pub fn new(file: &'a File, start: u64, len: u64) -> Self {
        Self {
            file,
            len,
            pos: start,
            window: Vec::new(),
            window_start: start,
            done: start >= len,
        }
    }

    /// Returns `n` bytes at `offset`, which the caller has checked lie within the file.
    fn bytes_at(&mut self, offset: u64, n: usize) -> std::io::Result<&[u8]> {
        let window_end = self.window_start + self.window.len() as u64;
        if offset < self.window_start || offset + n as u64 > window_end {
            let want = n.max(WINDOW).min((self.len - offset) as usize);
            self.window.resize(want, 0);
            self.file.read_exact_at(&mut self.window, offset)?;
            self.window_start = offset;
        }
        let at = (offset - self.window_start) as usize;
        Ok(&self.window[at..at + n])
    }

    /// The header at `offset` if it is valid and its frame fits in the file.
    fn header_at(&mut self, offset: u64) -> std::io::Result<Option<FrameHeader>> {
        if offset + FRAME_HEADER_LEN as u64 > self.len {
            return Ok(None);
        }
        let bytes = self.bytes_at(offset, FRAME_HEADER_LEN)?;
        let mut header = [0u8; FRAME_HEADER_LEN];
        header.copy_from_slice(bytes);
        Ok(FrameHeader::decode(&header))
    }

    /// The offset of the next valid, complete frame after `from`, if any: its header and its
    /// payload must both check out, so that stray bytes that happen to look like a header are
    /// not taken for one.
    fn resync(&mut self, from: u64) -> std::io::Result<Option<u64>> {
        let mut at = from;
        while at + FRAME_HEADER_LEN as u64 <= self.len {
            let pair = self.bytes_at(at, 2)?;
            if pair == FRAME_MAGIC
                && let Some(header) = self.header_at(at)?
                && at + header.frame_len() <= self.len
            {
                let payload = self.bytes_at(at + FRAME_HEADER_LEN as u64, header.len as usize)?;
                if header.payload_ok(payload) {
                    return Ok(Some(at));
                }
            }
            at += 1;
        }
        Ok(None)
    }

    fn all_zero(&mut self, from: u64) -> std::io::Result<bool> {
        let mut at = from;
        while at < self.len {
            let n = ((self.len - at) as usize).min(WINDOW);
            if self.bytes_at(at, n)?.iter().any(|b| *b != 0) {
                return Ok(false);
            }
            at += n as u64;
        }
        Ok(true)
    }

    fn next_item(&mut self) -> std::io::Result<Option<ScanItem>> {
        if self.done {
            return Ok(None);
        }
        let offset = self.pos;
        if offset >= self.len {
            self.done = true;
            return Ok(None);
        }
        if let Some(header) = self.header_at(offset)? {
            if offset + header.frame_len() > self.len {
                // A valid header whose payload runs past the end: an interrupted append.
                self.done = true;
                return Ok(Some(ScanItem::Torn { offset }));
            }
            let payload = self
                .bytes_at(offset + FRAME_HEADER_LEN as u64, header.len as usize)?
                .to_vec();
            let payload_ok = header.payload_ok(&payload);
            self.pos = offset + header.frame_len();
            return Ok(Some(ScanItem::Frame {
                offset,
                header,
                payload,
                payload_ok,
            }));
        }
        if offset + FRAME_HEADER_LEN as u64 > self.len || self.all_zero(offset)? {
            self.done = true;
            return Ok(Some(ScanItem::Torn { offset }));
        }
        match self.resync(offset + 1)? {
            Some(next) => {
                self.pos = next;
                Ok(Some(ScanItem::Damaged {
                    offset,
                    len: next - offset,
                }))
            }
            None => {
                self.done = true;
                Ok(Some(ScanItem::Damaged {
                    offset,
                    len: self.len - offset,
                }))
            }
        }
    }
}

impl Iterator for Scanner<'_> {
    type Item = std::io::Result<ScanItem>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_item() {
            Ok(item) => item.map(Ok),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode_frame;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> (tempfile::NamedTempFile, u64) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        (file, bytes.len() as u64)
    }

    fn scan(bytes: &[u8]) -> Vec<ScanItem> {
        let (file, len) = file_with(bytes);
        Scanner::new(file.as_file(), 0, len)
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn three_frames() -> (Vec<u8>, [u64; 3]) {
        let mut bytes = Vec::new();
        let mut offsets = [0u64; 3];
        for (i, payload) in [&b"first"[..], b"second frame", b""].iter().enumerate() {
            offsets[i] = bytes.len() as u64;
            encode_frame(i as u8 + 1, 0, payload, &mut bytes);
        }
        (bytes, offsets)
    }

    #[test]
    fn reads_every_frame() {
        let (bytes, offsets) = three_frames();
        let items = scan(&bytes);
        assert_eq!(items.len(), 3);
        for (item, offset) in items.iter().zip(offsets) {
            assert!(
                matches!(item, ScanItem::Frame { offset: o, payload_ok: true, .. } if *o == offset)
            );
        }
    }

    #[test]
    fn every_truncation_is_a_torn_tail_at_the_last_frame() {
        let (bytes, offsets) = three_frames();
        for cut in offsets[1] + 1..offsets[2] {
            let items = scan(&bytes[..cut as usize]);
            assert_eq!(items.len(), 2, "cut at {cut}");
            assert_eq!(
                items[1],
                ScanItem::Torn { offset: offsets[1] },
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn zeroed_tail_is_torn() {
        let (mut bytes, offsets) = three_frames();
        bytes.truncate(offsets[2] as usize);
        bytes.extend_from_slice(&[0u8; 100]);
        let items = scan(&bytes);
        assert_eq!(items.last(), Some(&ScanItem::Torn { offset: offsets[2] }));
    }

    #[test]
    fn damage_in_the_middle_is_skipped_not_torn() {
        let (mut bytes, offsets) = three_frames();
        // Break the second frame's header: the scanner must find the third frame again.
        bytes[offsets[1] as usize + 5] ^= 0xFF;
        let items = scan(&bytes);
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[1],
            ScanItem::Damaged {
                offset: offsets[1],
                len: offsets[2] - offsets[1]
            }
        );
        assert!(matches!(items[2], ScanItem::Frame { offset, .. } if offset == offsets[2]));
    }

    #[test]
    fn payload_damage_keeps_the_frame_boundary() {
        let (mut bytes, offsets) = three_frames();
        bytes[offsets[1] as usize + FRAME_HEADER_LEN + 2] ^= 1;
        let items = scan(&bytes);
        assert_eq!(items.len(), 3);
        assert!(matches!(
            items[1],
            ScanItem::Frame {
                payload_ok: false,
                ..
            }
        ));
    }
}
