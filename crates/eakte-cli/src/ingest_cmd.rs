//! `eakte ingest`: files files and directories into an Akte or the inbox, then waits for their
//! text to be extracted and indexed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use eakte_catalog::Extraction;
use eakte_service::{FileRequest, Filed, Service, ServiceError};
use eakte_types::{Aktenzeichen, DokumentId};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Failure, exit};
use crate::journal_use::cli_principal;
use crate::service_use::{self, bad_argument, parse_date};

/// Files every file under `paths`; exit 1 when any could not be filed.
pub fn run(
    data: &Path,
    akte: Option<&str>,
    doc_type: Option<String>,
    received: Option<&str>,
    paths: &[PathBuf],
) -> Result<ExitCode, Failure> {
    let akte: Option<Aktenzeichen> = akte
        .map(|a| {
            a.parse()
                .map_err(|e: eakte_types::RecordParseError| bad_argument(e.to_string()))
        })
        .transpose()?;
    let received = received.map(|d| parse_date("--received", d)).transpose()?;
    let mut failures: Vec<(PathBuf, String)> = Vec::new();
    let files = collect(paths, &mut failures);
    let service = service_use::open(data)?;
    if let Some(az) = &akte {
        let found = service.catalog().akte_by_aktenzeichen(az);
        if !matches!(found, Ok(Some(_))) {
            service.close()?;
            return Err(match found {
                Err(e) => eakte_service::ServiceError::from(e).into(),
                _ => eakte_service::ServiceError::NotFound {
                    what: format!("Akte {az}"),
                }
                .into(),
            });
        }
    }
    let request = FileRequest {
        akte: akte.map(Into::into),
        doc_type,
        received,
        ..FileRequest::default()
    };
    let result = ingest(&service, &files, &request, &mut failures);
    let waited = service.wait_idle();
    let report = result.and_then(|filed| {
        waited?;
        text_report(&service, &filed)
    });
    service.close()?;
    let (filed, present, no_text) = report?;
    for (path, reason) in &failures {
        eprintln!("eakte: {}: {reason}", path.display());
    }
    for (path, code) in &no_text {
        eprintln!(
            "eakte: {}: filed, but no text could be extracted ({code})",
            path.display()
        );
    }
    let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, code) in &no_text {
        *codes.entry(code).or_default() += 1;
    }
    let codes: Vec<String> = codes.iter().map(|(c, n)| format!("{n} {c}")).collect();
    eprintln!(
        "ingest: {filed} filed, {present} already filed, {} failed; {} without text{}",
        failures.len(),
        no_text.len(),
        if codes.is_empty() {
            String::new()
        } else {
            format!(" ({})", codes.join(", "))
        }
    );
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

/// Every regular file under the paths, in sorted order within each directory; symbolic links
/// to directories are not followed (no loops), links to files are.
fn collect(paths: &[PathBuf], failures: &mut Vec<(PathBuf, String)>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = paths.iter().rev().cloned().collect();
    while let Some(path) = stack.pop() {
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) => {
                failures.push((path, format!("cannot read: {e} (code unreadable)")));
                continue;
            }
        };
        if meta.is_dir() {
            match std::fs::read_dir(&path) {
                Ok(entries) => {
                    let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                    children.sort();
                    stack.extend(children.into_iter().rev());
                }
                Err(e) => failures.push((path, format!("cannot list: {e} (code unreadable)"))),
            }
        } else if meta.file_type().is_symlink() {
            match std::fs::metadata(&path) {
                Ok(target) if target.is_file() => files.push(path),
                Ok(_) => {} // a link to a directory: skipped, see above
                Err(e) => failures.push((path, format!("broken link: {e} (code unreadable)"))),
            }
        } else {
            // Sockets, devices and FIFOs are refused by filing with a clear reason.
            files.push(path);
        }
    }
    files
}

/// Files each file, printing `<uuid>  <path>` as each is acknowledged. Errors of the caller's
/// making (a bad file) are collected; the system's (journal, store) end the run.
fn ingest(
    service: &Service,
    files: &[PathBuf],
    request: &FileRequest,
    failures: &mut Vec<(PathBuf, String)>,
) -> Result<Vec<(PathBuf, Filed)>, ServiceError> {
    let bar = if files.len() > 1 && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} files filed, {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let actor = cli_principal();
    let mut filed = Vec::new();
    for path in files {
        match service.file_document(&actor, path, request) {
            Ok(outcome) => {
                // The id line goes to stdout even while the bar is drawn on stderr, so that
                // `ingest … > ids` keeps every line.
                bar.suspend(|| {
                    println!("{}  {}", outcome.id(), path.display());
                    if let Filed::AlreadyFiled(_) = outcome {
                        eprintln!("eakte: {}: already filed, skipped", path.display());
                    }
                });
                filed.push((path.clone(), outcome));
            }
            Err(e) if e.is_caller_error() => {
                failures.push((path.clone(), format!("{e} (code {})", e.code())));
            }
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        }
        bar.set_message(format!("{} extracting", service.pending()));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(filed)
}

type TextReport = (usize, usize, Vec<(PathBuf, String)>);

/// Counts of new and present documents, and the new ones that yielded no text, with the code.
fn text_report(service: &Service, filed: &[(PathBuf, Filed)]) -> Result<TextReport, ServiceError> {
    let mut new = 0;
    let mut present = 0;
    let mut no_text = Vec::new();
    for (path, outcome) in filed {
        let id: DokumentId = match outcome {
            Filed::New(id) => {
                new += 1;
                *id
            }
            Filed::AlreadyFiled(_) => {
                present += 1;
                continue;
            }
        };
        let Some(dokument) = service.catalog().dokument(id)? else {
            continue;
        };
        if let Some(Extraction::Failed { code, .. }) = dokument.latest().map(|v| &v.extraction) {
            no_text.push((path.clone(), code.clone()));
        }
    }
    Ok((new, present, no_text))
}
