//! The frame: a 16-byte header (magic, kind, flags, length, payload and header checksums) and a
//! payload.

/// Marks the start of every frame, so that a reader can find the next frame after damage.
pub const FRAME_MAGIC: [u8; 2] = [0xEA, 0x4B];

/// Bytes in a frame header.
pub const FRAME_HEADER_LEN: usize = 16;

/// The largest payload a frame may carry (64 MiB). Writers split larger data into several frames;
/// readers refuse larger lengths so that a damaged length never causes a huge allocation.
pub const MAX_FRAME_PAYLOAD: u32 = 64 << 20;

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// What the payload is; meaning is up to the log that uses the segment.
    pub kind: u8,
    /// Bit flags; meaning is up to the log.
    pub flags: u8,
    /// Payload length in bytes.
    pub len: u32,
    /// crc32c of the payload.
    pub payload_crc: u32,
}

impl FrameHeader {
    /// Encodes the header, computing its own checksum.
    pub fn encode(&self) -> [u8; FRAME_HEADER_LEN] {
        let mut out = [0u8; FRAME_HEADER_LEN];
        out[0..2].copy_from_slice(&FRAME_MAGIC);
        out[2] = self.kind;
        out[3] = self.flags;
        out[4..8].copy_from_slice(&self.len.to_le_bytes());
        out[8..12].copy_from_slice(&self.payload_crc.to_le_bytes());
        let crc = crc32c::crc32c(&out[0..12]);
        out[12..16].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes a header; `None` when the magic, the header checksum or the length is wrong.
    pub fn decode(bytes: &[u8; FRAME_HEADER_LEN]) -> Option<Self> {
        if bytes[0..2] != FRAME_MAGIC {
            return None;
        }
        let stored_crc = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        if crc32c::crc32c(&bytes[0..12]) != stored_crc {
            return None;
        }
        let len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if len > MAX_FRAME_PAYLOAD {
            return None;
        }
        Some(Self {
            kind: bytes[2],
            flags: bytes[3],
            len,
            payload_crc: u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        })
    }

    /// Whether `payload` matches the payload checksum.
    pub fn payload_ok(&self, payload: &[u8]) -> bool {
        payload.len() == self.len as usize && crc32c::crc32c(payload) == self.payload_crc
    }

    /// Header plus payload length.
    pub fn frame_len(&self) -> u64 {
        FRAME_HEADER_LEN as u64 + u64::from(self.len)
    }
}

/// The encoded header of a frame whose payload is the concatenation of `parts`, so that a large
/// payload can be written from where it lies without first copying it into one buffer.
///
/// # Panics
/// When the parts together are longer than [`MAX_FRAME_PAYLOAD`]; callers split data before that.
pub fn frame_header(kind: u8, flags: u8, parts: &[&[u8]]) -> [u8; FRAME_HEADER_LEN] {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let len = u32::try_from(total)
        .ok()
        .filter(|len| *len <= MAX_FRAME_PAYLOAD)
        .expect("frame payload over MAX_FRAME_PAYLOAD; callers must split");
    let payload_crc = parts
        .iter()
        .fold(0, |crc, part| crc32c::crc32c_append(crc, part));
    FrameHeader {
        kind,
        flags,
        len,
        payload_crc,
    }
    .encode()
}

/// Appends a whole frame (header and payload) to `out`.
///
/// # Panics
/// When `payload` is longer than [`MAX_FRAME_PAYLOAD`]; callers split data before that.
pub fn encode_frame(kind: u8, flags: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&frame_header(kind, flags, &[payload]));
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn header_round_trips(kind: u8, flags: u8, len in 0..=MAX_FRAME_PAYLOAD, crc: u32) {
            let header = FrameHeader { kind, flags, len, payload_crc: crc };
            prop_assert_eq!(FrameHeader::decode(&header.encode()), Some(header));
        }

        #[test]
        fn any_bit_flip_in_a_header_is_detected(kind: u8, len in 0..=MAX_FRAME_PAYLOAD, bit in 0usize..128) {
            let header = FrameHeader { kind, flags: 0, len, payload_crc: 7 };
            let mut bytes = header.encode();
            bytes[bit / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(FrameHeader::decode(&bytes), None);
        }
    }

    #[test]
    fn header_of_parts_equals_header_of_the_whole() {
        let mut whole = Vec::new();
        encode_frame(4, 1, b"abcdefgh", &mut whole);
        assert_eq!(frame_header(4, 1, &[b"abc", b"", b"defgh"]), whole[..16]);
    }

    #[test]
    fn payload_checksum_catches_a_flip() {
        let mut out = Vec::new();
        encode_frame(1, 0, b"hello", &mut out);
        let header = FrameHeader::decode(out[..16].try_into().unwrap()).unwrap();
        assert!(header.payload_ok(&out[16..]));
        out[18] ^= 0x10;
        assert!(!header.payload_ok(&out[16..]));
    }
}
