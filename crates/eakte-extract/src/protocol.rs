//! The messages between the server and a worker: length-prefixed JSON frames on the worker's
//! stdin and stdout.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use eakte_config::ExtractConfig;

use crate::{ExtractError, Extraction};

/// Every frame starts with these bytes, so that stray output on stdout is noticed, not parsed.
const MAGIC: [u8; 4] = *b"EKX1";
/// The largest frame accepted (a document's whole text as JSON).
const MAX_FRAME_BYTES: u32 = 1 << 30;

/// One document for a worker.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Request {
    pub path: PathBuf,
    pub settings: ExtractConfig,
}

/// A worker's answer for one document.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Reply {
    pub outcome: Response,
    /// The worker's peak resident memory so far (VmHWM), for resource accounting.
    pub peak_rss_bytes: Option<u64>,
}

/// The result for one document.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Response {
    Done(Box<Extraction>),
    Failed(ExtractError),
}

/// Writes one frame: magic, length (u32 little-endian), JSON.
pub(crate) fn write_frame(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let json = serde_json::to_vec(value).map_err(io::Error::other)?;
    let len = u32::try_from(json.len())
        .ok()
        .filter(|&l| l <= MAX_FRAME_BYTES)
        .ok_or_else(|| io::Error::other("frame too large"))?;
    out.write_all(&MAGIC)?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&json)?;
    out.flush()
}

/// Reads one frame; None at a clean end of the stream (before a frame begins).
pub(crate) fn read_frame<T: DeserializeOwned>(input: &mut impl Read) -> io::Result<Option<T>> {
    let mut header = [0u8; 8];
    let mut filled = 0;
    while filled < header.len() {
        match input.read(&mut header[filled..])? {
            0 if filled == 0 => return Ok(None),
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    if header[..4] != MAGIC {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame without the protocol's magic bytes",
        ));
    }
    let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if len > MAX_FRAME_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut body = Vec::new();
    input.take(u64::from(len)).read_to_end(&mut body)?;
    if body.len() != len as usize {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_damage_is_noticed() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &Response::Failed(ExtractError::Encrypted)).unwrap();
        write_frame(
            &mut buf,
            &Response::Failed(ExtractError::Timeout { seconds: 3 }),
        )
        .unwrap();
        let mut r = buf.as_slice();
        assert!(matches!(
            read_frame(&mut r).unwrap(),
            Some(Response::Failed(ExtractError::Encrypted))
        ));
        assert!(matches!(
            read_frame(&mut r).unwrap(),
            Some(Response::Failed(ExtractError::Timeout { seconds: 3 }))
        ));
        assert!(read_frame::<Response>(&mut r).unwrap().is_none());
        // Cut inside a frame, or stray text before it: errors, never a wrong answer.
        assert!(read_frame::<Response>(&mut &buf[..10]).is_err());
        let mut stray = b"Warning: ".to_vec();
        stray.extend_from_slice(&buf);
        assert!(read_frame::<Response>(&mut stray.as_slice()).is_err());
    }
}
