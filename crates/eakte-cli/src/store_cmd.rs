//! `eakte store put|get|verify|stats`.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use eakte_config::Config;
use eakte_store::{BlobId, BlobStore, FileStore, VerifyProblem, into_store_error};

use crate::cli::{Failure, StoreCommand, exit};

fn open_store(data: &Path) -> Result<FileStore, Failure> {
    let config = Config::load(data).context("cannot load the configuration")?;
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create data directory {}", data.display()))?;
    Ok(FileStore::open(&data.join("store"), &config.store)?)
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
    let store = open_store(data)?;
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
                writeln!(stdout, "{}  {}", outcome.id, path.display()).context("stdout")?
            }
            Err(e @ eakte_store::StoreError::Input(_)) => {
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
    let store = open_store(data)?;
    let mut reader = store.open_blob(&id)?;
    let mut stdout = std::io::stdout().lock();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(into_store_error)?;
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
    let store = open_store(data)?;
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
    let store = open_store(data)?;
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
