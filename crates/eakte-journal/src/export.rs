//! Writing an export: a directory an auditor verifies offline with nothing but the public key.
//! The format is described in `docs/formats/journal.md` and in the export's own `README.md`.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};

use crate::JournalError;
use crate::checkpoint::Checkpoint;
use crate::event::CheckedEntry;
use crate::journal::Journal;
use crate::query::Query;

/// The format name in `start.json` and `manifest.json`.
pub const EXPORT_FORMAT: &str = "eakte-journal-export/v1";

/// The README written into every export.
pub const EXPORT_README: &str = include_str!("export_readme.md");

/// `start.json`: where the exported entries begin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Start {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The journal's origin, as in every checkpoint.
    pub origin: String,
    /// The sequence number of the first exported entry; the entries before it are represented by
    /// `frontier`, and the first checkpoint has exactly this size.
    pub first: u64,
    /// The roots of the largest complete subtrees of the tree of `first` entries, left to right
    /// (hex); empty when `first` is 0.
    pub frontier: Vec<String>,
    /// The leaf hash of entry `first - 1` (hex), which the first exported entry links to; `null`
    /// when `first` is 0.
    pub last_leaf: Option<String>,
    /// The inclusion proof of `last_leaf` in the tree of `first` entries (hex).
    pub last_leaf_proof: Vec<String>,
}

/// One line of `payloads.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadLine {
    /// The entry the payload belongs to.
    pub seq: u64,
    /// The payload's bytes (hex), absent when erased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<String>,
    /// True when the payload was erased; only the entry's hash commitment remains.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub erased: bool,
}

/// One line of `proofs.jsonl`: the consistency proof between two consecutive checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofLine {
    /// The earlier checkpoint's size.
    pub old: u64,
    /// The later checkpoint's size.
    pub new: u64,
    /// The proof's hashes (hex), in RFC 9162 order.
    pub proof: Vec<String>,
}

/// `manifest.json`: every other file of the export with its length and blake3; signed in
/// `manifest.sig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The files, by name.
    pub files: Vec<ManifestFile>,
}

/// A file listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// File name inside the export directory.
    pub name: String,
    /// Length in bytes.
    pub len: u64,
    /// blake3 of the content, hex.
    pub blake3: String,
}

/// What an export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// The first exported entry.
    pub first: u64,
    /// One past the last exported entry (the size of the last checkpoint).
    pub end: u64,
    /// Exported checkpoints.
    pub checkpoints: usize,
    /// Payloads exported with their bytes.
    pub payloads: u64,
    /// Payloads exported as erased.
    pub erased: u64,
}

/// The files of an export other than the manifest, in the order they are written.
pub const EXPORT_FILES: [&str; 6] = [
    "README.md",
    "start.json",
    "entries.jsonl",
    "payloads.jsonl",
    "checkpoints.jsonl",
    "proofs.jsonl",
];

/// Writes an export of the journal into `out`, a directory that must not exist yet (or be
/// empty). A fresh checkpoint is made first. With `from`/`to`, the export starts at the last
/// checkpoint before the first entry at or after `from`, and ends at the first checkpoint that
/// covers every entry up to `to`, so that both ends are signed.
pub fn export(
    journal: &Journal,
    out: &Path,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<ExportSummary, JournalError> {
    journal.checkpoint()?;
    let checkpoints = journal.checkpoints();
    let size = checkpoints.last().map_or(0, |c| c.size);
    let first_wanted = from.map_or(0, |from| {
        journal
            .query_seqs(&Query {
                from: Some(from),
                limit: Some(1),
                ..Query::default()
            })
            .first()
            .copied()
            .unwrap_or(size)
    });
    let end_wanted = to.map_or(size, |to| {
        journal
            .query_seqs(&Query {
                to: Some(to),
                ..Query::default()
            })
            .last()
            .map_or(0, |seq| seq + 1)
    });
    let first = checkpoints
        .iter()
        .map(|c| c.size)
        .filter(|s| *s <= first_wanted)
        .max()
        .unwrap_or(0);
    let end = checkpoints
        .iter()
        .map(|c| c.size)
        .find(|s| *s >= end_wanted.max(first))
        .unwrap_or(size);
    let chosen: Vec<&Checkpoint> = checkpoints
        .iter()
        .filter(|c| c.size >= first && c.size <= end)
        .collect();

    prepare_dir(out)?;
    let start = Start {
        format: EXPORT_FORMAT.into(),
        origin: journal.origin().to_owned(),
        first,
        frontier: journal
            .frontier(first)?
            .nodes()
            .iter()
            .map(hex::encode)
            .collect(),
        last_leaf: match first {
            0 => None,
            f => Some(hex::encode(journal.leaf(f - 1)?)),
        },
        last_leaf_proof: match first {
            0 => Vec::new(),
            f => journal
                .inclusion_proof(f - 1, f)?
                .iter()
                .map(hex::encode)
                .collect(),
        },
    };
    write_file(out, "README.md", EXPORT_README.as_bytes())?;
    write_file(out, "start.json", &json_line(&start))?;

    let mut summary = ExportSummary {
        first,
        end,
        checkpoints: chosen.len(),
        payloads: 0,
        erased: 0,
    };
    let entries_path = out.join("entries.jsonl");
    let payloads_path = out.join("payloads.jsonl");
    let mut entries = BufWriter::new(create(&entries_path)?);
    let mut payloads = BufWriter::new(create(&payloads_path)?);
    for seq in first..end {
        let (bytes, payload) = journal.read_raw(seq)?;
        entries
            .write_all(&bytes)
            .and_then(|()| entries.write_all(b"\n"))
            .map_err(|e| JournalError::io(&entries_path, e))?;
        let entry = CheckedEntry::parse(&bytes).map_err(JournalError::Damaged)?;
        if entry.payload.is_some() {
            let line = PayloadLine {
                seq,
                erased: payload.is_none(),
                bytes: payload.as_ref().map(hex::encode),
            };
            match payload {
                Some(_) => summary.payloads += 1,
                None => summary.erased += 1,
            }
            payloads
                .write_all(&json_line(&line))
                .map_err(|e| JournalError::io(&payloads_path, e))?;
        }
    }
    finish(entries, &entries_path)?;
    finish(payloads, &payloads_path)?;

    let mut lines = Vec::new();
    for checkpoint in &chosen {
        lines.extend_from_slice(checkpoint.to_line().as_bytes());
        lines.push(b'\n');
    }
    write_file(out, "checkpoints.jsonl", &lines)?;
    let mut proofs = Vec::new();
    for pair in chosen.windows(2) {
        let line = ProofLine {
            old: pair[0].size,
            new: pair[1].size,
            proof: journal
                .consistency_proof(pair[0].size, pair[1].size)?
                .iter()
                .map(hex::encode)
                .collect(),
        };
        proofs.extend_from_slice(&json_line(&line));
    }
    write_file(out, "proofs.jsonl", &proofs)?;

    let mut manifest = Manifest {
        format: EXPORT_FORMAT.into(),
        files: Vec::new(),
    };
    for name in EXPORT_FILES {
        let path = out.join(name);
        let bytes = std::fs::read(&path).map_err(|e| JournalError::io(&path, e))?;
        manifest.files.push(ManifestFile {
            name: name.into(),
            len: bytes.len() as u64,
            blake3: blake3::hash(&bytes).to_hex().to_string(),
        });
    }
    let manifest = json_line(&manifest);
    let signature = journal.signing_key().sign(&manifest);
    write_file(out, "manifest.json", &manifest)?;
    write_file(
        out,
        "manifest.sig",
        format!("{}\n", hex::encode(signature.to_bytes())).as_bytes(),
    )?;
    eakte_segment::fsync_dir(out)?;
    Ok(summary)
}

fn json_line(value: &impl Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(value).expect("export records always serialise");
    bytes.push(b'\n');
    bytes
}

/// Creates `out` or accepts it when empty; an export never overwrites anything.
fn prepare_dir(out: &Path) -> Result<(), JournalError> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(JournalError::Invalid(format!(
                    "{} is not empty; an export is written into a new directory",
                    out.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(out).map_err(|e| JournalError::io(out, e))
        }
        Err(e) => Err(JournalError::io(out, e)),
    }
}

fn create(path: &Path) -> Result<std::fs::File, JournalError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| JournalError::io(path, e))
}

fn finish(writer: BufWriter<std::fs::File>, path: &Path) -> Result<(), JournalError> {
    let file = writer
        .into_inner()
        .map_err(|e| JournalError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| JournalError::io(path, e))
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), JournalError> {
    let path = dir.join(name);
    let mut file = create(&path)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| JournalError::io(&path, e))
}
