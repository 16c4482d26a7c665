//! `eakte watch DIR --unit U`: a scanning station's share, uploaded into the inbox through the
//! API with a scanner's token (the running server owns the data directory).
//!
//! A file is taken when it is complete: its size and modification time (and its sidecar's) are
//! the same at two looks `--interval` apart, and it has its transfer note, `NAME.json` beside it.
//! Writers that use the atomic-rename pattern write `.NAME` or `NAME.part`/`NAME.tmp` first, which
//! are never taken. After the server answers, the file and its note move to `DIR/done/` (with
//! `NAME.receipt.json`) or, if the server refused them, to `DIR/failed/` (with `NAME.error.txt`).
//! Nothing is moved before the server's answer, so a watcher that dies mid-way leaves the file
//! where it was; uploaded again, the server recognises the same bytes in the inbox (200,
//! `already_filed`) and nothing is filed twice.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use reqwest::blocking::multipart::{Form, Part};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::cli::{Failure, WatchArgs, exit};

/// The transfer note in a sidecar file: the fields of `POST /inbox`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    station: String,
    operator: String,
    scanned_at: String,
    resolution_dpi: u32,
    colour_mode: String,
    page_count: u32,
    quality_check: String,
    sha256: Option<String>,
    title: Option<String>,
    #[serde(rename = "type")]
    doc_type: Option<String>,
}

/// What a file looked like at the last look.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Look {
    size: u64,
    modified: Option<SystemTime>,
    note: Option<(u64, Option<SystemTime>)>,
}

/// The outcome of one file.
enum Outcome {
    Done(String),
    Failed(String),
    /// The server or the network failed: try again later.
    Retry(String),
}

/// Watches `DIR` until interrupted (or, with `--once`, handles what is complete and exits).
pub fn run(args: WatchArgs) -> Result<ExitCode, Failure> {
    let token = match (&args.token_file, std::env::var("EAKTE_TOKEN")) {
        (Some(path), _) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?
            .trim()
            .to_owned(),
        (None, Ok(token)) if !token.trim().is_empty() => token.trim().to_owned(),
        _ => {
            return Err(Failure {
                error: anyhow::anyhow!(
                    "a scanner's token is needed: --token-file FILE or EAKTE_TOKEN"
                ),
                code: exit::REFUSED,
            });
        }
    };
    if !args.dir.is_dir() {
        return Err(Failure {
            error: anyhow::anyhow!("{} is not a directory", args.dir.display()),
            code: exit::NOT_FOUND,
        });
    }
    for sub in ["done", "failed"] {
        std::fs::create_dir_all(args.dir.join(sub))
            .with_context(|| format!("cannot create {}/{sub}", args.dir.display()))?;
    }
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(args.timeout_seconds))
        .build()
        .context("cannot make an HTTP client")?;
    let url = format!("{}/inbox", args.server.trim_end_matches('/'));
    let interval = Duration::from_millis(args.interval_ms);
    let mut seen: HashMap<PathBuf, (Look, Instant)> = HashMap::new();
    let mut failures = 0usize;
    let mut passes = 0;
    let mut waiting;
    loop {
        passes += 1;
        waiting = 0;
        failures += orphan_notes(&args.dir, &mut seen, args.note_timeout_seconds)?;
        for path in candidates(&args.dir)? {
            let Some(look) = look_at(&path) else {
                seen.remove(&path);
                continue;
            };
            let stable_since = match seen.get(&path) {
                Some((before, since)) if *before == look => *since,
                _ => {
                    seen.insert(path.clone(), (look, Instant::now()));
                    continue;
                }
            };
            if look.note.is_none() {
                if stable_since.elapsed() >= Duration::from_secs(args.note_timeout_seconds) {
                    finish(
                        &args.dir,
                        &path,
                        Outcome::Failed(format!(
                            "no transfer note: {} did not appear within {} seconds",
                            note_path(&path).display(),
                            args.note_timeout_seconds
                        )),
                    )?;
                    failures += 1;
                    seen.remove(&path);
                }
                continue;
            }
            let outcome = upload(&client, &url, &token, &args.unit, &path);
            if matches!(outcome, Outcome::Failed(_)) {
                failures += 1;
            }
            if let Outcome::Retry(reason) = &outcome {
                eprintln!("eakte watch: {}: {reason}; trying again", path.display());
                waiting += 1;
                continue;
            }
            finish(&args.dir, &path, outcome)?;
            seen.remove(&path);
        }
        // With --once: two looks (completeness needs them), then every complete file handled.
        if args.once && passes >= 2 {
            break;
        }
        std::thread::sleep(interval);
    }
    if waiting > 0 {
        eprintln!("eakte watch: {waiting} file(s) still waiting for the server");
    }
    Ok(if failures == 0 && waiting == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

/// Moves transfer notes without their document (a note that came after its file failed for
/// want of one, or whose file was taken away) to `failed/` once they have been alone for the
/// note timeout, so that no later scan of the same name is filed with a stale note.
fn orphan_notes(
    dir: &Path,
    seen: &mut HashMap<PathBuf, (Look, Instant)>,
    timeout_seconds: u64,
) -> Result<usize, Failure> {
    let mut moved = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let note = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let name = note
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let Some(document) = name.strip_suffix(".json") else {
            continue;
        };
        if name.starts_with('.') || dir.join(document).exists() || !note.is_file() {
            continue;
        }
        let Some(meta) = std::fs::metadata(&note).ok() else {
            continue;
        };
        let look = Look {
            size: meta.len(),
            modified: meta.modified().ok(),
            note: None,
        };
        let since = match seen.get(&note) {
            Some((before, since)) if *before == look => *since,
            _ => {
                seen.insert(note.clone(), (look, Instant::now()));
                continue;
            }
        };
        if since.elapsed() < Duration::from_secs(timeout_seconds) {
            continue;
        }
        let target_dir = dir.join("failed");
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
        let target = target_dir.join(format!("{stamp}-{name}"));
        std::fs::write(
            target_dir.join(format!("{stamp}-{name}.error.txt")),
            format!("a transfer note without its document {document}\n"),
        )
        .with_context(|| format!("cannot write into {}", target_dir.display()))?;
        std::fs::rename(&note, &target)
            .with_context(|| format!("cannot move {}", note.display()))?;
        seen.remove(&note);
        eprintln!("eakte watch: {name} (no document) → failed/");
        moved += 1;
    }
    Ok(moved)
}

/// The files of `dir` that may be documents: regular files, not hidden, not partial, not notes.
fn candidates(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial = name.starts_with('.')
            || [".part", ".tmp", ".json", ".error.txt"]
                .iter()
                .any(|suffix| name.ends_with(suffix));
        if !partial && entry.file_type().is_ok_and(|t| t.is_file()) {
            paths.push(entry.path());
        }
    }
    paths.sort();
    Ok(paths)
}

fn note_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".json");
    path.with_file_name(name)
}

fn look_at(path: &Path) -> Option<Look> {
    let meta = std::fs::metadata(path).ok()?;
    let note = std::fs::metadata(note_path(path))
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    Some(Look {
        size: meta.len(),
        modified: meta.modified().ok(),
        note,
    })
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
    }
}

/// Uploads one file with its note.
fn upload(
    client: &reqwest::blocking::Client,
    url: &str,
    token: &str,
    unit: &str,
    path: &Path,
) -> Outcome {
    let note: Note = match std::fs::read(note_path(path))
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    {
        Ok(note) => note,
        Err(e) => return Outcome::Failed(format!("the transfer note cannot be used: {e}")),
    };
    // The hash is taken here, so that the server checks the bytes it received against the
    // bytes on the share; a hash the station wrote into the note is checked as well.
    let sha256 = match sha256_of(path) {
        Ok(sha256) => sha256,
        Err(e) => return Outcome::Retry(format!("cannot read the file: {e}")),
    };
    if let Some(stated) = &note.sha256
        && !stated.eq_ignore_ascii_case(&sha256)
    {
        return Outcome::Failed(format!(
            "the file's SHA-256 is {sha256}, not the {stated} of its transfer note"
        ));
    }
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) => return Outcome::Retry(format!("cannot open the file: {e}")),
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let part = Part::reader_with_length(file, size).file_name(name);
    let mut form = Form::new()
        .part("file", part)
        .text("station", note.station)
        .text("operator", note.operator)
        .text("scanned_at", note.scanned_at)
        .text("resolution_dpi", note.resolution_dpi.to_string())
        .text("colour_mode", note.colour_mode)
        .text("page_count", note.page_count.to_string())
        .text("quality_check", note.quality_check)
        .text("sha256", sha256)
        .text("unit", unit.to_owned());
    if let Some(title) = note.title {
        form = form.text("title", title);
    }
    if let Some(doc_type) = note.doc_type {
        form = form.text("type", doc_type);
    }
    let response = match client.post(url).bearer_auth(token).multipart(form).send() {
        Ok(response) => response,
        Err(e) => return Outcome::Retry(format!("the server cannot be reached: {e}")),
    };
    let status = response.status();
    let body = response.text().unwrap_or_default();
    if status.is_success() {
        Outcome::Done(body)
    } else if status.is_server_error() || matches!(status.as_u16(), 401 | 404 | 405 | 408 | 429) {
        // The server's trouble, a token to be replaced, or a wrong --server (no such route):
        // the file waits.
        Outcome::Retry(format!("the server answered {status}: {body}"))
    } else {
        Outcome::Failed(format!("the server refused the file ({status}): {body}"))
    }
}

/// Moves a file and its note to `done/` or `failed/`, with the receipt or the reason.
fn finish(dir: &Path, path: &Path, outcome: Outcome) -> Result<(), Failure> {
    let (sub, suffix, text) = match outcome {
        Outcome::Done(receipt) => ("done", ".receipt.json", receipt),
        Outcome::Failed(reason) => ("failed", ".error.txt", format!("{reason}\n")),
        Outcome::Retry(_) => return Ok(()),
    };
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let target_dir = dir.join(sub);
    // A name already there (the same scan name on another day) gets a time stamp.
    let mut target = target_dir.join(&name);
    if target.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
        target = target_dir.join(format!("{stamp}-{name}"));
    }
    let target_name = target
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    std::fs::write(target_dir.join(format!("{target_name}{suffix}")), text)
        .with_context(|| format!("cannot write into {}", target_dir.display()))?;
    // The note first: a watcher stopped between the two moves leaves the file without a note,
    // which later fails for want of one (its note is in done/ or failed/ beside the receipt);
    // the other order could leave a note behind that a later scan of the same name would take.
    let note = note_path(path);
    if note.exists() {
        std::fs::rename(&note, target_dir.join(format!("{target_name}.json")))
            .with_context(|| format!("cannot move {}", note.display()))?;
    }
    std::fs::rename(path, &target)
        .with_context(|| format!("cannot move {} to {}", path.display(), target.display()))?;
    eprintln!("eakte watch: {} → {sub}/", name);
    Ok(())
}
