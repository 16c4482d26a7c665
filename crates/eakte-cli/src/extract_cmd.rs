//! `eakte extract`: the text of files, page by page, from sandboxed workers.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::mpsc;

use anyhow::Context;
use eakte_extract::pool::{WorkerCommand, WorkerPool};
use eakte_extract::{ExtractError, Extraction, PageSource};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Failure, exit};

/// Extracts every file and prints the results in the order given.
pub fn run(
    data: &Path,
    files: &[PathBuf],
    json: bool,
    lang: Option<&str>,
) -> Result<ExitCode, Failure> {
    let mut config = crate::service_use::config(data)?;
    if let Some(lang) = lang {
        config.extract.languages = lang.to_owned();
        config
            .extract
            .validate()
            .context("--lang must be Tesseract language names joined by '+', such as deu+eng")?;
    }
    let command = WorkerCommand {
        program: std::env::current_exe().context("cannot find the eakte binary")?,
        args: vec!["extract-worker".into()],
    };
    let pool = WorkerPool::new(command, config.extract.clone(), config.extract.workers);
    let progress = if files.len() > 1 {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} files, {elapsed} {msg}")
                .expect("the template is valid"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let next = Mutex::new(0usize);
    let (sender, results) = mpsc::channel();
    let mut failed = 0usize;
    std::thread::scope(|scope| -> Result<(), Failure> {
        for _ in 0..pool.size().min(files.len()) {
            let sender = sender.clone();
            let (pool, next) = (&pool, &next);
            scope.spawn(move || {
                loop {
                    let index = {
                        let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                        let index = *next;
                        *next += 1;
                        index
                    };
                    let Some(file) = files.get(index) else { break };
                    if sender.send((index, pool.extract(file))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // Results arrive in any order; they are printed in the order of the files.
        let mut waiting = BTreeMap::new();
        let mut printed = 0usize;
        let stdout = std::io::stdout();
        for (index, result) in results {
            progress.inc(1);
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&printed) {
                let file = &files[printed];
                if let Err(e) = &result {
                    failed += 1;
                    progress.suspend(|| {
                        eprintln!("eakte: {}: {e} (code {})", file.display(), e.code())
                    });
                }
                let mut out = stdout.lock();
                let written = if json {
                    print_json(&mut out, file, &result, files.len() == 1)
                } else {
                    result
                        .as_ref()
                        .map_or(Ok(()), |x| print_text(&mut out, file, x, files.len() > 1))
                };
                written.context("cannot write to standard output")?;
                printed += 1;
            }
        }
        Ok(())
    })?;
    progress.finish_and_clear();
    if files.len() > 1 {
        eprintln!(
            "extracted {} of {} files; {failed} failed; {} workers replaced",
            files.len() - failed,
            files.len(),
            pool.replaced()
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILURE)
    })
}

fn print_json(
    out: &mut impl Write,
    file: &Path,
    result: &Result<Extraction, ExtractError>,
    single: bool,
) -> std::io::Result<()> {
    let value = match (result, single) {
        (Ok(extraction), true) => serde_json::to_value(extraction),
        (Err(_), true) => return Ok(()),
        (Ok(extraction), false) => serde_json::to_value(extraction)
            .map(|x| serde_json::json!({"file": file.to_string_lossy(), "extraction": x})),
        (Err(e), false) => serde_json::to_value(e)
            .map(|x| serde_json::json!({"file": file.to_string_lossy(), "error": x})),
    }
    .map_err(std::io::Error::other)?;
    writeln!(out, "{value}")
}

fn print_text(
    out: &mut impl Write,
    file: &Path,
    extraction: &Extraction,
    name_file: bool,
) -> std::io::Result<()> {
    if name_file {
        writeln!(out, "=== {}", file.display())?;
    }
    writeln!(
        out,
        "# {}, {} page{}, language {}",
        extraction.media_type,
        extraction.pages.len(),
        if extraction.pages.len() == 1 { "" } else { "s" },
        extraction.language.as_deref().unwrap_or("unknown"),
    )?;
    for page in &extraction.pages {
        let mut head = format!("--- page {}: ", page.number);
        head.push_str(match page.source {
            PageSource::None => "no text",
            source => source.as_str(),
        });
        if let Some(confidence) = page.confidence {
            head.push_str(&format!(", confidence {confidence:.0}"));
        }
        if page.rotation != 0 {
            head.push_str(&format!(", turned {}°", page.rotation));
        }
        if let Some(error) = &page.error {
            head.push_str(&format!(", {}: {error}", error.code()));
        }
        writeln!(out, "{head}")?;
        if !page.text.is_empty() {
            writeln!(out, "{}", page.text)?;
        }
    }
    Ok(())
}
