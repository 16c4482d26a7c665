//! `eakte store put|get|verify|stats`.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use eakte_journal::{Journal, Outcome, action};
use eakte_store::{BlobId, BlobStore, FileStore, VerifyProblem, into_store_error};

use crate::cli::{Failure, StoreCommand, exit};
use crate::journal_use::{cli_event, open_journal, record};

/// Opens the journal first (a command that cannot be journaled does nothing), then the store.
fn open_store(data: &Path) -> Result<(FileStore, Journal), Failure> {
    let config = crate::service_use::config(data)?;
    let journal = open_journal(data, &config)?;
    Ok((
        FileStore::open(&data.join("store"), &config.store)?,
        journal,
    ))
}

pub fn run(data: &Path, command: StoreCommand) -> Result<ExitCode, Failure> {
    match command {
        StoreCommand::Put { files } => put(data, &files),
        StoreCommand::Get { id } => get(data, &id),
        StoreCommand::Verify => verify(data),
        StoreCommand::Stats => stats(data),
    }
}

fn put(data: &Path, files: &[std::path::PathBuf]) -> Result<ExitCode, Failure> {
    let (store, journal) = open_store(data)?;
    let mut stdout = std::io::stdout().lock();
    let mut failed = false;
    for path in files {
        let result = if path.as_os_str() == "-" {
            store.put(&mut std::io::stdin().lock())
        } else {
            match std::fs::File::open(path) {
                Ok(mut file) => store.put(&mut file),
                Err(e) => {
                    eprintln!("eakte: cannot read {}: {e}", path.display());
                    failed = true;
                    continue;
                }
            }
        };
        match result {
            Ok(outcome) => {
                // The file name may be personal data (a citizen's name): it goes to the payload.
                record(
                    &journal,
                    cli_event(action::BLOB_STORED, Outcome::Ok)
                        .object("blob", outcome.id.to_string())
                        .detail("bytes", outcome.len)
                        .detail("sha256", outcome.sha256.to_string())
                        .detail("deduplicated", outcome.deduplicated)
                        .personal("source", path.display().to_string()),
                )?;
                writeln!(stdout, "{}  {}", outcome.id, path.display()).context("stdout")?
            }
            Err(e @ eakte_store::StoreError::Input(_)) => {
                record(
                    &journal,
                    cli_event(action::BLOB_STORED, Outcome::Error)
                        .detail("error", "the input could not be read")
                        .personal("source", path.display().to_string()),
                )?;
                eprintln!("eakte: cannot read {}: {e}", path.display());
                failed = true;
            }
            // Anything else is the store's own trouble: stop at once.
            Err(e) => return Err(e.into()),
        }
    }
    stdout.flush().context("stdout")?;
    Ok(if failed {
        ExitCode::from(exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

fn get(data: &Path, id: &str) -> Result<ExitCode, Failure> {
    let id: BlobId = id.parse().map_err(|e| Failure {
        error: anyhow::anyhow!("{id:?} is not a blob id: {e}"),
        code: exit::NOT_FOUND,
    })?;
    let (store, journal) = open_store(data)?;
    let event = cli_event(action::BLOB_READ, Outcome::Ok).object("blob", id.to_string());
    let mut reader = match store.open_blob(&id) {
        Ok(reader) => reader,
        Err(e) => {
            let mut failed = event;
            failed.outcome = Outcome::Error;
            record(&journal, failed.detail("error", e.to_string()))?;
            return Err(e.into());
        }
    };
    // Journaled before the first byte goes out: a read that cannot be journaled does not happen.
    record(&journal, event)?;
    let mut stdout = std::io::stdout().lock();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut buf).map_err(into_store_error) {
            Ok(n) => n,
            Err(e) => {
                record(
                    &journal,
                    cli_event(action::BLOB_READ, Outcome::Error)
                        .object("blob", id.to_string())
                        .detail("error", e.to_string()),
                )?;
                return Err(e.into());
            }
        };
        if n == 0 {
            break;
        }
        stdout
            .write_all(&buf[..n])
            .context("cannot write to stdout")?;
    }
    stdout.flush().context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn verify(data: &Path) -> Result<ExitCode, Failure> {
    let (store, journal) = open_store(data)?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "verifying {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let report = store.verify(&mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    let mut stdout = std::io::stdout().lock();
    for problem in &report.problems {
        match problem {
            VerifyProblem::CorruptBlob { id, detail } => {
                writeln!(stdout, "{id}  corrupt: {detail}")
            }
            VerifyProblem::DamagedRegion {
                segment,
                offset,
                len,
            } => writeln!(
                stdout,
                "segment {segment} offset {offset}: {len} damaged bytes belong to no readable blob"
            ),
        }
        .context("stdout")?;
    }
    record(
        &journal,
        cli_event(
            action::STORE_VERIFIED,
            if report.problems.is_empty() {
                Outcome::Ok
            } else {
                Outcome::Error
            },
        )
        .detail("blobs", report.blobs_checked)
        .detail("bytes", report.bytes_checked)
        .detail("problems", report.problems.len()),
    )?;
    eprintln!(
        "{} blobs and {} bytes checked, {} problems",
        report.blobs_checked,
        report.bytes_checked,
        report.problems.len()
    );
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::CORRUPT)
    })
}

fn stats(data: &Path) -> Result<ExitCode, Failure> {
    let (store, _journal) = open_store(data)?;
    let stats = store.stats()?;
    let mut out = std::io::stdout().lock();
    let lines = [
        format!("blobs            {}", stats.blobs),
        format!("puts             {}", stats.puts),
        format!("logical bytes    {}", stats.logical_bytes),
        format!("record bytes     {}", stats.record_bytes),
        format!("stored bytes     {}", stats.stored_bytes),
        format!("segments         {}", stats.segments),
        format!("dedup ratio      {:.3}", stats.dedup_ratio()),
        format!("compression      {:.3}", stats.compression_ratio()),
    ];
    for line in lines {
        writeln!(out, "{line}").context("stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}
