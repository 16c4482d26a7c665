//! Per-segment summaries (`NNNNNNNN.jdx` beside each sealed segment): what opening the journal
//! needs of a segment — each entry's frame offset, leaf hash, time and query keys, and the
//! checkpoints — so that a sealed segment is read and parsed in full only once. A summary is a
//! view: it is written after a full check of its segment, and rebuilt from the segment when it is
//! missing, damaged, or does not fit the segment's length.
//!
//! Layout (integers little-endian): magic `EAKTJDX\x01`; segment number, segment length, first
//! sequence number, entry count, checkpoint count (`u64` each); per entry: frame offset (`u64`),
//! leaf hash (32 bytes), time in microseconds (`i64`), actor (`u16` length + bytes), action (`u8`
//! length + bytes), object count (`u16`) and each object id (`u16` length + bytes); per checkpoint:
//! `u32` length + its JSON line; finally blake3 of everything before.

use crate::merkle::Hash;

const MAGIC: &[u8; 8] = b"EAKTJDX\x01";

/// One entry as the summary keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntrySummary {
    pub offset: u64,
    pub leaf: Hash,
    pub time: i64,
    pub actor: String,
    pub action: String,
    pub objects: Vec<String>,
}

/// A sealed segment's summary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SegmentSummary {
    pub number: u64,
    pub len: u64,
    pub first: u64,
    pub entries: Vec<EntrySummary>,
    pub checkpoints: Vec<Vec<u8>>,
}

fn put_str(out: &mut Vec<u8>, text: &str, wide: bool) {
    if wide {
        out.extend_from_slice(&(text.len() as u16).to_le_bytes());
    } else {
        out.push(text.len() as u8);
    }
    out.extend_from_slice(text.as_bytes());
}

/// Encodes a summary. Strings longer than their length field allows cannot occur: entries are at
/// most 64 KiB, actions at most 64 bytes.
pub(crate) fn encode(summary: &SegmentSummary) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + summary.entries.len() * 96);
    out.extend_from_slice(MAGIC);
    for n in [
        summary.number,
        summary.len,
        summary.first,
        summary.entries.len() as u64,
        summary.checkpoints.len() as u64,
    ] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    for e in &summary.entries {
        out.extend_from_slice(&e.offset.to_le_bytes());
        out.extend_from_slice(&e.leaf);
        out.extend_from_slice(&e.time.to_le_bytes());
        put_str(&mut out, &e.actor, true);
        put_str(&mut out, &e.action, false);
        out.extend_from_slice(&(e.objects.len() as u16).to_le_bytes());
        for id in &e.objects {
            put_str(&mut out, id, true);
        }
    }
    for line in &summary.checkpoints {
        out.extend_from_slice(&(line.len() as u32).to_le_bytes());
        out.extend_from_slice(line);
    }
    let check = *blake3::hash(&out).as_bytes();
    out.extend_from_slice(&check);
    out
}

struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn text(&mut self, len: usize) -> Option<String> {
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}

/// Decodes a summary; `None` unless it checks out and belongs to segment `number` of length `len`.
pub(crate) fn decode(bytes: &[u8], number: u64, len: u64) -> Option<SegmentSummary> {
    let (body, check) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if blake3::hash(body).as_bytes() != check {
        return None;
    }
    let mut c = Cursor { bytes: body };
    if c.take(8)? != MAGIC {
        return None;
    }
    let (seg, seg_len, first, count, checkpoints) =
        (c.u64()?, c.u64()?, c.u64()?, c.u64()?, c.u64()?);
    if seg != number || seg_len != len {
        return None;
    }
    // Every entry takes at least 53 bytes: a count beyond that is damage, not a huge allocation.
    if count > body.len() as u64 / 53 || checkpoints > body.len() as u64 / 4 {
        return None;
    }
    let mut entries = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let offset = c.u64()?;
        let leaf: Hash = c.take(32)?.try_into().ok()?;
        let time = c.u64()? as i64;
        let actor_len = c.u16()? as usize;
        let actor = c.text(actor_len)?;
        let action_len = *c.take(1)?.first()? as usize;
        let action = c.text(action_len)?;
        let objects = (0..c.u16()?)
            .map(|_| {
                let n = c.u16()? as usize;
                c.text(n)
            })
            .collect::<Option<Vec<_>>>()?;
        entries.push(EntrySummary {
            offset,
            leaf,
            time,
            actor,
            action,
            objects,
        });
    }
    let mut lines = Vec::with_capacity(checkpoints as usize);
    for _ in 0..checkpoints {
        let n = u32::from_le_bytes(c.take(4)?.try_into().ok()?) as usize;
        lines.push(c.take(n)?.to_vec());
    }
    if !c.bytes.is_empty() {
        return None;
    }
    Some(SegmentSummary {
        number,
        len,
        first,
        entries,
        checkpoints: lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SegmentSummary {
        SegmentSummary {
            number: 3,
            len: 4096,
            first: 17,
            entries: (0..5)
                .map(|i| EntrySummary {
                    offset: 32 + i * 300,
                    leaf: [i as u8; 32],
                    time: 1_700_000_000_000_000 + i as i64,
                    actor: format!("user{i}"),
                    action: "document.read".into(),
                    objects: vec![format!("doc-{i}"), "ä-ö".into()],
                })
                .collect(),
            checkpoints: vec![b"{\"size\":20}".to_vec()],
        }
    }

    #[test]
    fn round_trips_and_refuses_every_damage() {
        let summary = sample();
        let bytes = encode(&summary);
        assert_eq!(decode(&bytes, 3, 4096), Some(summary));
        assert_eq!(decode(&bytes, 4, 4096), None, "another segment");
        assert_eq!(decode(&bytes, 3, 4097), None, "the segment grew");
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert_eq!(decode(&bad, 3, 4096), None, "byte {i}");
        }
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut], 3, 4096), None, "cut at {cut}");
        }
    }
}
