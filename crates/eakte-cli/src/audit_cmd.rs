//! `eakte audit public-key|checkpoint|export|verify|log`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use eakte_journal::export::export;
use eakte_journal::verify::{VerifyReport, verify_export};
use eakte_journal::{Checkpoint, Journal, Outcome, PayloadState, Query, action, parse_public_key};

use crate::cli::{AuditCommand, Failure, exit};
use crate::journal_use::{cli_event, open_journal, record};

fn journal(data: &Path) -> Result<Journal, Failure> {
    let config = crate::service_use::config(data)?;
    open_journal(data, &config)
}

pub fn run(data: &Path, command: AuditCommand) -> Result<ExitCode, Failure> {
    match command {
        AuditCommand::PublicKey => {
            let journal = journal(data)?;
            println!("{}", journal.public_key_text());
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Checkpoint => {
            let journal = journal(data)?;
            let checkpoint = journal.checkpoint().context("cannot make a checkpoint")?;
            println!("{}", checkpoint.to_line());
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export { out, from, to } => {
            let (from, to) = (parse_from(from.as_deref())?, parse_to(to.as_deref())?);
            let journal = journal(data)?;
            record(
                &journal,
                cli_event(action::JOURNAL_EXPORTED, Outcome::Ok)
                    .detail("from", from.map(|t| t.to_rfc3339()))
                    .detail("to", to.map(|t| t.to_rfc3339())),
            )?;
            let summary = export(&journal, &out, from, to)
                .with_context(|| format!("cannot export to {}", out.display()))?;
            println!(
                "exported entries {}..{} ({} checkpoints, {} payloads, {} erased) to {}",
                summary.first,
                summary.end,
                summary.checkpoints,
                summary.payloads,
                summary.erased,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify {
            dir,
            key,
            checkpoints,
        } => verify(data, dir.as_deref(), key.as_deref(), &checkpoints),
        AuditCommand::Log {
            actor,
            object,
            action: action_name,
            from,
            to,
            limit,
            json,
        } => {
            let query = Query {
                actor,
                object,
                action: action_name,
                from: parse_from(from.as_deref())?,
                to: parse_to(to.as_deref())?,
                limit,
            };
            let journal = journal(data)?;
            let events = journal.query(&query).context("cannot read the journal")?;
            record(
                &journal,
                cli_event(action::JOURNAL_READ, Outcome::Ok).detail("events", events.len()),
            )?;
            let mut out = std::io::stdout().lock();
            for event in &events {
                let line = if json {
                    serde_json::json!({
                        "entry": event.entry,
                        "personal": event.payload.data(),
                        "erased": matches!(event.payload, PayloadState::Erased),
                    })
                    .to_string()
                } else {
                    text_line(event)
                };
                writeln!(out, "{line}").context("stdout")?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn text_line(event: &eakte_journal::StoredEvent) -> String {
    let e = &event.entry;
    let mut actor = format!("{} ({}", e.actor.user, e.actor.role);
    if let Some(unit) = &e.actor.unit {
        actor.push_str(&format!(", {unit}"));
    }
    if let Some(client) = &e.actor.client {
        actor.push_str(&format!(", {client}"));
    }
    actor.push(')');
    let objects: Vec<String> = e
        .objects
        .iter()
        .map(|o| format!("{}:{}", o.kind, o.id))
        .collect();
    let mut line = format!(
        "{:>8}  {}  {:<6}  {:<20}  {}  {}",
        e.seq,
        e.time,
        e.outcome,
        e.action,
        actor,
        objects.join(",")
    );
    if !e.details.is_empty() {
        line.push_str(&format!(
            "  {}",
            serde_json::Value::Object(e.details.clone())
        ));
    }
    match &event.payload {
        PayloadState::Present(p) => line.push_str(&format!(
            "  personal={}",
            serde_json::Value::Object(p.data.clone())
        )),
        PayloadState::Erased => line.push_str("  personal=<erased>"),
        PayloadState::None => {}
    }
    line
}

fn verify(
    data: &Path,
    dir: Option<&Path>,
    key: Option<&str>,
    checkpoint_files: &[PathBuf],
) -> Result<ExitCode, Failure> {
    let key = match key {
        Some(text) => Some(read_key(text)?),
        None => None,
    };
    let mut kept = Vec::new();
    for path in checkpoint_files {
        kept.extend(read_checkpoints(path)?);
    }
    let result = match dir {
        Some(dir) => {
            let key = key.ok_or_else(|| Failure {
                error: anyhow::anyhow!(
                    "verifying an export needs the public key: --key FILE_OR_KEY"
                ),
                code: exit::NOT_FOUND,
            })?;
            verify_export(dir, &key, &kept)
        }
        None => {
            // The live journal: opening it already checks every frame, link and stored
            // checkpoint; then it is exported to a scratch directory and verified like any export.
            let journal = journal(data)?;
            let own = journal.public_key();
            if key.is_some_and(|k| k != own) {
                return Err(anyhow::anyhow!(
                    "the given key is not this journal's checkpoint key ({})",
                    journal.public_key_text()
                )
                .into());
            }
            let result = verify_live(data, &journal, &kept)?;
            record(
                &journal,
                cli_event(
                    action::JOURNAL_VERIFIED,
                    if result.is_ok() {
                        Outcome::Ok
                    } else {
                        Outcome::Error
                    },
                )
                .detail("entries", result.as_ref().map_or(0, |r| r.end))
                .detail("first_bad", result.as_ref().err().and_then(|f| f.entry)),
            )?;
            result
        }
    };
    match result {
        Ok(report) => {
            print_report(&report);
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            println!("FAILED: {failure}");
            Ok(ExitCode::from(exit::FAILURE))
        }
    }
}

/// Verifies the live journal: opening it already checked every frame, link and stored
/// checkpoint; here it is exported to a scratch directory and verified like any export.
pub fn verify_live(
    data: &Path,
    journal: &Journal,
    kept: &[Checkpoint],
) -> Result<Result<VerifyReport, eakte_journal::verify::VerifyFailure>, Failure> {
    remove_stale_scratch(data);
    let scratch = tempfile::Builder::new()
        .prefix("verify-")
        .tempdir_in(eakte_journal::journal_dir(data))
        .context("cannot make a scratch directory")?;
    let out = scratch.path().join("export");
    export(journal, &out, None, None).context("cannot export the live journal")?;
    Ok(verify_export(&out, &journal.public_key(), kept))
}

/// Removes scratch exports that a killed `audit verify` left behind: they hold personal data that
/// must not outlive its erasure. While the journal is open no other verify runs.
fn remove_stale_scratch(data: &Path) {
    let Ok(entries) = std::fs::read_dir(eakte_journal::journal_dir(data)) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("verify-")
            && let Err(e) = std::fs::remove_dir_all(entry.path())
        {
            tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove a stale scratch export");
        }
    }
}

fn print_report(report: &VerifyReport) {
    println!(
        "ok: {} entries {}..{} verified under {} checkpoints (latest {}); {} payloads checked, {} erased",
        report.end - report.first,
        report.first,
        report.end,
        report.checkpoints,
        report.latest_time,
        report.payloads,
        report.erased
    );
    println!("origin: {}", report.origin);
    if report.kept_checked + report.kept_outside > 0 {
        println!(
            "kept checkpoints: {} confirmed, {} older than the export's first entry",
            report.kept_checked, report.kept_outside
        );
    }
}

/// A public key given as the key itself or as a file holding it.
fn read_key(text: &str) -> Result<ed25519_dalek::VerifyingKey, Failure> {
    let content = if text.trim_start().starts_with("ed25519:") {
        text.to_owned()
    } else {
        std::fs::read_to_string(text).with_context(|| format!("cannot read the key file {text}"))?
    };
    Ok(parse_public_key(&content).context("bad --key")?)
}

/// Checkpoints kept from earlier, one JSON line each (as `eakte audit checkpoint` prints them).
fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>, Failure> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let checkpoint = serde_json::from_str(line)
            .with_context(|| format!("{} line {}: not a checkpoint", path.display(), n + 1))?;
        out.push(checkpoint);
    }
    Ok(out)
}

/// An RFC 3339 time, or a date (the start of that day, UTC).
fn parse_from(text: Option<&str>) -> Result<Option<DateTime<Utc>>, Failure> {
    parse_time(text, false)
}

/// An RFC 3339 time, or a date (the end of that day, UTC).
fn parse_to(text: Option<&str>) -> Result<Option<DateTime<Utc>>, Failure> {
    parse_time(text, true)
}

fn parse_time(text: Option<&str>, end_of_day: bool) -> Result<Option<DateTime<Utc>>, Failure> {
    let Some(text) = text else { return Ok(None) };
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(time.with_timezone(&Utc)));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let time = if end_of_day {
            date.and_hms_micro_opt(23, 59, 59, 999_999)
        } else {
            date.and_hms_opt(0, 0, 0)
        };
        return Ok(time.map(|t| t.and_utc()));
    }
    Err(Failure {
        error: anyhow::anyhow!(
            "{text:?} is not a time: use RFC 3339 (2026-11-25T12:00:00Z) or a date (2026-11-25)"
        ),
        code: exit::NOT_FOUND,
    })
}
