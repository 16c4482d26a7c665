//! The offline verifier: checks an export with nothing but the public key (and, optionally,
//! checkpoints an auditor kept from earlier), strictly, and names the first bad entry.
//!
//! Order of checks: `start.json`; every checkpoint (form, signature, origin, sizes and times never
//! decreasing); the consistency proof between each pair of consecutive checkpoints (exact length,
//! fully consumed); kept checkpoints (a kept checkpoint larger than the export means it was rolled
//! back); then entry by entry — form, sequence number, time order, the chain link to the previous
//! entry, the payload against its commitment, and the tree root at every checkpoint and kept
//! checkpoint size; finally the signed manifest over every file's bytes.

use std::fmt;
use std::path::Path;

use ed25519_dalek::{Signature, VerifyingKey};

use crate::checkpoint::Checkpoint;
use crate::event::{CheckedEntry, parse_hash};
use crate::export::{EXPORT_FILES, EXPORT_FORMAT, Manifest, PayloadLine, ProofLine, Start};
use crate::merkle::{Blake3Hasher, Hash, TreeHasher, verify_consistency, verify_inclusion};
use crate::tree::Frontier;

/// Why an export does not verify: the first problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyFailure {
    /// The first bad entry's sequence number, when the problem is in (or is the absence of) an
    /// entry.
    pub entry: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entry {
            Some(seq) => write!(f, "first bad entry {seq}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for VerifyFailure {}

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The journal's origin.
    pub origin: String,
    /// The first entry in the export.
    pub first: u64,
    /// One past the last entry (the size of the last checkpoint).
    pub end: u64,
    /// Checkpoints verified.
    pub checkpoints: usize,
    /// Payloads checked against their commitments.
    pub payloads: u64,
    /// Payloads found erased (their commitments remain).
    pub erased: u64,
    /// Kept checkpoints the export was checked against.
    pub kept_checked: usize,
    /// Kept checkpoints older than the export's first entry, which it cannot confirm.
    pub kept_outside: usize,
    /// The latest checkpoint's time.
    pub latest_time: String,
}

fn fail<T>(entry: Option<u64>, message: impl Into<String>) -> Result<T, VerifyFailure> {
    Err(VerifyFailure {
        entry,
        message: message.into(),
    })
}

/// Every file of the export, read once.
struct Files(Vec<(&'static str, Vec<u8>)>);

impl Files {
    fn load(dir: &Path) -> Result<Self, VerifyFailure> {
        let mut files = Vec::new();
        for name in EXPORT_FILES
            .into_iter()
            .chain(["manifest.json", "manifest.sig"])
        {
            let bytes = std::fs::read(dir.join(name))
                .or_else(|e| fail(None, format!("cannot read {name}: {e}")))?;
            files.push((name, bytes));
        }
        Ok(Self(files))
    }

    fn get(&self, name: &str) -> &[u8] {
        &self
            .0
            .iter()
            .find(|(n, _)| *n == name)
            .expect("every export file is loaded")
            .1
    }
}

/// Splits a file into lines; every line must end in `\n`. On a missing final line break, the
/// index of the unfinished line.
fn lines(bytes: &[u8]) -> Result<Vec<&[u8]>, usize> {
    let mut out = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes) {
        out.push(&bytes[start..end]);
        start = end + 1;
    }
    if start < bytes.len() {
        return Err(out.len());
    }
    Ok(out)
}

fn hashes(list: &[String], what: &str) -> Result<Vec<Hash>, VerifyFailure> {
    list.iter()
        .map(|h| parse_hash(h).ok_or(()))
        .collect::<Result<_, _>>()
        .or_else(|()| fail(None, format!("{what}: not 64 lower-case hex digits")))
}

/// Every checkpoint, exported or kept, must name the export's journal.
fn same_origin(c: &Checkpoint, start: &Start, what: &str) -> Result<(), VerifyFailure> {
    if c.origin != start.origin {
        return fail(
            None,
            format!(
                "{what}: origin {:?}, the export is {:?}",
                c.origin, start.origin
            ),
        );
    }
    Ok(())
}

/// A checkpoint read from a file, with its verified root.
struct Signed {
    checkpoint: Checkpoint,
    root: Hash,
}

fn parse_checkpoint(line: &[u8], key: &VerifyingKey, what: &str) -> Result<Signed, VerifyFailure> {
    let checkpoint: Checkpoint =
        serde_json::from_slice(line).or_else(|e| fail(None, format!("{what}: {e}")))?;
    if checkpoint.to_line().as_bytes() != line {
        return fail(None, format!("{what}: not in canonical form"));
    }
    let root = checkpoint
        .verify(key)
        .or_else(|e| fail(None, format!("{what} (size {}): {e}", checkpoint.size)))?;
    Ok(Signed { checkpoint, root })
}

/// Verifies the export in `dir` against the public key, and against checkpoints kept from
/// earlier (each must be covered consistently, or the export was rolled back or rewritten).
pub fn verify_export(
    dir: &Path,
    key: &VerifyingKey,
    kept: &[Checkpoint],
) -> Result<VerifyReport, VerifyFailure> {
    let files = Files::load(dir)?;
    // The files are hashed for the manifest beside the checks of their content.
    std::thread::scope(|scope| {
        let hashing = scope.spawn(|| EXPORT_FILES.map(|name| blake3::hash(files.get(name))));
        let report = verify_content(&files, key, kept);
        let hashes = hashing.join().expect("the hashing thread panicked");
        let report = report?;
        check_manifest(dir, &files, key, &hashes)?;
        Ok(report)
    })
}

/// Everything but the manifest, in the order of the module documentation.
fn verify_content(
    files: &Files,
    key: &VerifyingKey,
    kept: &[Checkpoint],
) -> Result<VerifyReport, VerifyFailure> {
    let hasher = Blake3Hasher;
    let start_bytes = files.get("start.json");
    let start: Start =
        serde_json::from_slice(start_bytes).or_else(|e| fail(None, format!("start.json: {e}")))?;
    if start.format != EXPORT_FORMAT {
        return fail(
            None,
            format!("start.json: unknown format {:?}", start.format),
        );
    }
    let frontier_nodes = hashes(&start.frontier, "start.json frontier")?;
    let Some(start_frontier) = Frontier::from_parts(start.first, frontier_nodes) else {
        return fail(
            None,
            "start.json: the frontier does not fit the first entry's number",
        );
    };

    // Checkpoints.
    let checkpoint_lines = lines(files.get("checkpoints.jsonl")).or_else(|n| {
        fail(
            None,
            format!("checkpoints.jsonl: line {} is cut off", n + 1),
        )
    })?;
    let mut checkpoints: Vec<Signed> = Vec::new();
    let numbered: Vec<(usize, &[u8])> = checkpoint_lines.iter().copied().enumerate().collect();
    let parsed = in_parallel(&numbered, |(n, line)| {
        let what = format!("checkpoint {} (checkpoints.jsonl line {})", n + 1, n + 1);
        parse_checkpoint(line, key, &what).map(|signed| (what, signed))
    });
    for result in parsed {
        let (what, signed) = result?;
        let c = &signed.checkpoint;
        same_origin(c, &start, &what)?;
        if let Some(prev) = checkpoints.last() {
            if c.size <= prev.checkpoint.size {
                return fail(
                    None,
                    format!(
                        "{what}: size {} does not grow past {}",
                        c.size, prev.checkpoint.size
                    ),
                );
            }
            if c.time < prev.checkpoint.time {
                return fail(None, format!("{what}: time goes back"));
            }
        } else if c.size < start.first || (start.first > 0 && c.size != start.first) {
            return fail(
                None,
                format!(
                    "{what}: the first checkpoint must have the size {}",
                    start.first
                ),
            );
        }
        checkpoints.push(signed);
    }
    let Some(last) = checkpoints.last() else {
        return fail(None, "checkpoints.jsonl: no checkpoint; nothing is signed");
    };
    let end = last.checkpoint.size;
    let latest_time = last.checkpoint.time.clone();
    if start.first > 0 {
        let root = checkpoints[0].root;
        if start_frontier.root(&hasher) != root {
            return fail(
                None,
                "start.json: the frontier does not lead to the first checkpoint's root",
            );
        }
        let leaf = start.last_leaf.as_deref().and_then(parse_hash);
        let proof = hashes(&start.last_leaf_proof, "start.json last_leaf_proof")?;
        match leaf {
            Some(leaf)
                if verify_inclusion(
                    &hasher,
                    start.first - 1,
                    start.first,
                    &leaf,
                    &proof,
                    &root,
                )
                .is_ok() => {}
            _ => {
                return fail(
                    None,
                    "start.json: last_leaf is not proven to be the entry before the first",
                );
            }
        }
    } else if start.last_leaf.is_some() || !start.last_leaf_proof.is_empty() {
        return fail(None, "start.json: an export from entry 0 has no last_leaf");
    } else if checkpoints[0].checkpoint.size == 0 && checkpoints[0].root != hasher.empty_root() {
        return fail(
            None,
            "checkpoint 1 (size 0): its root is not the root of the empty tree",
        );
    }

    // Consistency proofs between consecutive checkpoints.
    let proof_lines = lines(files.get("proofs.jsonl"))
        .or_else(|n| fail(None, format!("proofs.jsonl: line {} is cut off", n + 1)))?;
    if proof_lines.len() + 1 != checkpoints.len() {
        return fail(
            None,
            format!(
                "proofs.jsonl: {} proofs for {} checkpoints; one between each consecutive pair is needed",
                proof_lines.len(),
                checkpoints.len()
            ),
        );
    }
    for (n, (line, pair)) in proof_lines.iter().zip(checkpoints.windows(2)).enumerate() {
        let what = format!("proofs.jsonl line {}", n + 1);
        let proof: ProofLine =
            serde_json::from_slice(line).or_else(|e| fail(None, format!("{what}: {e}")))?;
        let (old, new) = (&pair[0], &pair[1]);
        if proof.old != old.checkpoint.size || proof.new != new.checkpoint.size {
            return fail(
                None,
                format!(
                    "{what}: proves {} → {}, not {} → {}",
                    proof.old, proof.new, old.checkpoint.size, new.checkpoint.size
                ),
            );
        }
        let path = hashes(&proof.proof, &what)?;
        if let Err(e) =
            verify_consistency(&hasher, proof.old, proof.new, &old.root, &new.root, &path)
        {
            return fail(
                None,
                format!(
                    "{what}: checkpoint of size {} is not consistent with size {}: {e}",
                    proof.new, proof.old
                ),
            );
        }
    }

    // Kept checkpoints.
    let mut kept_at: Vec<(u64, Hash)> = Vec::new();
    let mut kept_outside = 0;
    for (n, c) in kept.iter().enumerate() {
        let what = format!("kept checkpoint {} (size {})", n + 1, c.size);
        let root = c
            .verify(key)
            .or_else(|e| fail(None, format!("{what}: {e}")))?;
        same_origin(c, &start, &what)?;
        if c.size > end {
            return fail(
                Some(end),
                format!(
                    "the export ends after {end} entries, but {what} covers more: the journal was rolled back or entries removed"
                ),
            );
        }
        if c.size < start.first {
            kept_outside += 1;
        } else {
            kept_at.push((c.size, root));
        }
    }

    // Entries, payloads, and the tree at every checkpoint.
    let entry_lines = match lines(files.get("entries.jsonl")) {
        Ok(lines) => lines,
        Err(n) => {
            return fail(
                Some(start.first + n as u64),
                "entries.jsonl is cut off in this entry",
            );
        }
    };
    let checked: Vec<(Hash, Result<CheckedEntry, String>)> = in_parallel(&entry_lines, |line| {
        (hasher.hash_leaf(line), CheckedEntry::parse(line))
    });
    let payload_bytes = files.get("payloads.jsonl");
    let payload_lines = lines(payload_bytes).unwrap_or_else(|n| {
        // A cut-off last line is reported at the entry it belongs to.
        payload_bytes.split(|b| *b == b'\n').take(n + 1).collect()
    });
    let payload_cut = lines(payload_bytes).is_err();
    let payload_checks = in_parallel(&payload_lines, |line| check_payload(line));
    let mut next_payload = 0usize;
    let mut frontier = start_frontier.clone();
    // Checkpoints at the export's start were checked against the frontier above.
    let mut next_checkpoint = checkpoints.partition_point(|c| c.checkpoint.size <= start.first);
    let mut previous: Option<i64> = None;
    let (mut payloads, mut erased) = (0u64, 0u64);
    for i in 0..entry_lines.len() {
        let seq = start.first + i as u64;
        if seq >= end {
            return fail(
                Some(seq),
                format!("the entry is not covered by any checkpoint (the last has size {end})"),
            );
        }
        let entry = match &checked[i].1 {
            Ok(entry) => entry,
            Err(e) => return fail(Some(seq), e.clone()),
        };
        if entry.seq != seq {
            return fail(
                Some(seq),
                format!("the entry says it is number {}", entry.seq),
            );
        }
        // The link comes before the time order: a changed entry shows as a broken link in the
        // next one, which must blame the changed entry, not its successor.
        let expected_prev = match i {
            0 => match &start.last_leaf {
                Some(leaf) => parse_hash(leaf),
                None => Some([0u8; 32]),
            },
            _ => Some(checked[i - 1].0),
        };
        if Some(entry.prev) != expected_prev {
            let blamed = if i == 0 {
                seq
            } else {
                blame_broken_link(
                    &start_frontier,
                    &checked.iter().map(|(leaf, _)| *leaf).collect::<Vec<_>>(),
                    i,
                    entry.prev,
                    &checkpoints,
                    start.first,
                )
            };
            return fail(
                Some(blamed),
                if blamed == seq {
                    "the entry does not link to the entry before it".to_owned()
                } else {
                    format!(
                        "the entry was changed: entry {seq} and the checkpoints commit to other content"
                    )
                },
            );
        }
        let time = entry.time;
        if previous.is_some_and(|p| time < p) {
            return fail(
                Some(seq),
                "the entry's time is earlier than the previous entry's",
            );
        }
        previous = Some(time);
        if let Some((commit_hash, commit_len)) = &entry.payload {
            if next_payload >= payload_lines.len() {
                return fail(
                    Some(seq),
                    "the entry commits to a payload that payloads.jsonl does not have",
                );
            };
            if payload_cut && next_payload + 1 == payload_lines.len() {
                return fail(
                    Some(seq),
                    "payloads.jsonl is cut off in this entry's payload",
                );
            }
            let payload = payload_checks[next_payload]
                .clone()
                .or_else(|e| fail(Some(seq), e))?;
            next_payload += 1;
            if payload.seq != seq {
                return fail(
                    Some(seq),
                    format!(
                        "payloads.jsonl has entry {}'s payload where this entry's belongs",
                        payload.seq
                    ),
                );
            }
            match payload.content {
                None => erased += 1,
                Some((hash, len)) if hash == *commit_hash && len == *commit_len => payloads += 1,
                Some(_) => {
                    return fail(
                        Some(seq),
                        "the payload does not match the hash the entry commits to",
                    );
                }
            }
        }
        frontier.push(&hasher, checked[i].0);
        let size = seq + 1;
        if let Some(c) = checkpoints.get(next_checkpoint)
            && c.checkpoint.size == size
        {
            if frontier.root(&hasher) != c.root {
                let previous = next_checkpoint
                    .checked_sub(1)
                    .map_or(start.first, |p| checkpoints[p].checkpoint.size);
                return fail(
                    Some(seq),
                    format!(
                        "the tree root differs from checkpoint of size {size}: this entry, the last \
                         it covers, was changed (or, if the links were rewritten to match, one of \
                         entries {previous}..{size})"
                    ),
                );
            }
            next_checkpoint += 1;
        }
        for (kept_size, root) in &kept_at {
            if *kept_size == size && frontier.root(&hasher) != *root {
                return fail(
                    Some(seq),
                    format!(
                        "the tree of {size} entries differs from the kept checkpoint of that size"
                    ),
                );
            }
        }
    }
    let count = start.first + entry_lines.len() as u64;
    if count < end {
        return fail(
            Some(count),
            format!("entries {count}..{end} are missing: the last checkpoint covers {end}"),
        );
    }
    if let Some((size, root)) = kept_at.iter().find(|(size, _)| *size == start.first)
        && start_frontier.root(&hasher) != *root
    {
        return fail(
            Some(*size),
            "the tree before the first exported entry differs from a kept checkpoint",
        );
    }
    if next_payload != payload_lines.len() {
        return fail(
            None,
            "payloads.jsonl has more lines than entries with payloads",
        );
    }

    Ok(VerifyReport {
        origin: start.origin,
        first: start.first,
        end,
        checkpoints: checkpoints.len(),
        payloads,
        erased,
        kept_checked: kept_at.len(),
        kept_outside,
        latest_time,
    })
}

/// `f` applied to every item, on all cores, in order.
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a verifier thread panicked"))
            .collect()
    })
}

/// A payload line, checked on its own.
#[derive(Debug, Clone)]
struct PayloadCheck {
    seq: u64,
    /// blake3 and length of the bytes; `None` when erased.
    content: Option<(Hash, u64)>,
}

fn check_payload(line: &[u8]) -> Result<PayloadCheck, String> {
    let payload: PayloadLine =
        serde_json::from_slice(line).map_err(|e| format!("payloads.jsonl: {e}"))?;
    let content = match (&payload.bytes, payload.erased) {
        (None, true) => None,
        (Some(text), false) => {
            let bytes = match text.bytes().any(|b| b.is_ascii_uppercase()) {
                false => hex::decode(text).ok(),
                true => None,
            }
            .ok_or("payloads.jsonl: bytes are not lower-case hex")?;
            Some((*blake3::hash(&bytes).as_bytes(), bytes.len() as u64))
        }
        _ => return Err("payloads.jsonl: a payload line needs either bytes or erased".into()),
    };
    Ok(PayloadCheck {
        seq: payload.seq,
        content,
    })
}

/// Entry `i` (0-based in the export) does not link to entry `i - 1`: either entry `i - 1` was
/// changed (then entry `i`'s link is the original leaf hash, and putting it in place of entry
/// `i - 1`'s makes the next checkpoint's root come out right) or entry `i` was. Returns the
/// sequence number to blame.
fn blame_broken_link(
    start: &Frontier,
    leaves: &[Hash],
    i: usize,
    claimed: Hash,
    checkpoints: &[Signed],
    first: u64,
) -> u64 {
    let seq = first + i as u64;
    let Some(next) = checkpoints.iter().find(|c| c.checkpoint.size > seq) else {
        return seq;
    };
    let upto = (next.checkpoint.size - first) as usize;
    if upto > leaves.len() {
        return seq;
    }
    let mut frontier = start.clone();
    for (j, leaf) in leaves[..upto].iter().enumerate() {
        frontier.push(&Blake3Hasher, if j == i - 1 { claimed } else { *leaf });
    }
    if frontier.root(&Blake3Hasher) == next.root {
        seq - 1
    } else {
        seq
    }
}

fn check_manifest(
    dir: &Path,
    files: &Files,
    key: &VerifyingKey,
    hashes: &[blake3::Hash; EXPORT_FILES.len()],
) -> Result<(), VerifyFailure> {
    let manifest_bytes = files.get("manifest.json");
    let sig_text = files.get("manifest.sig");
    let mut signature = [0u8; 64];
    let sig_ok = sig_text.len() == 129
        && sig_text[128] == b'\n'
        && !sig_text[..128].iter().any(u8::is_ascii_uppercase)
        && hex::decode_to_slice(&sig_text[..128], &mut signature).is_ok();
    if !sig_ok {
        return fail(
            None,
            "manifest.sig: not 128 lower-case hex digits and a line break",
        );
    }
    if key
        .verify_strict(manifest_bytes, &Signature::from_bytes(&signature))
        .is_err()
    {
        return fail(
            None,
            "manifest.json: the signature in manifest.sig does not verify",
        );
    }
    let manifest: Manifest = serde_json::from_slice(manifest_bytes)
        .or_else(|e| fail(None, format!("manifest.json: {e}")))?;
    let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    if manifest.format != EXPORT_FORMAT || names != EXPORT_FILES {
        return fail(None, "manifest.json: does not list the export's files");
    }
    // The names were just checked to be EXPORT_FILES, in that order, as `hashes` is.
    for (file, hash) in manifest.files.iter().zip(hashes) {
        let bytes = files.get(&file.name);
        if bytes.len() as u64 != file.len || hash.to_hex().as_str() != file.blake3 {
            return fail(
                None,
                format!("{}: its bytes differ from the signed manifest", file.name),
            );
        }
    }
    let mut extra: Vec<String> = std::fs::read_dir(dir)
        .or_else(|e| fail(None, format!("cannot list the export: {e}")))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !EXPORT_FILES.contains(&n.as_str()) && n != "manifest.json" && n != "manifest.sig"
        })
        .collect();
    extra.sort();
    if let Some(name) = extra.first() {
        return fail(
            None,
            format!("{name}: a file that is not part of the export"),
        );
    }
    Ok(())
}
