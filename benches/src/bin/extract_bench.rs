//! Extraction benchmark, every baseline measured in the same run:
//! - OCR throughput of `eakte extract` on A4 pages at 300 dpi against the `tesseract` command
//!   line run as two parallel processes with OMP_THREAD_LIMIT=1, and as one with default OpenMP;
//! - text-layer extraction pages/s on the corpus's born-digital PDFs against `pdftotext`;
//! - peak worker memory growth per born-digital PDF against the file's size.
//!
//! Usage: extract-bench --eakte PATH [--corpus DIR] [--pages N] [--languages deu+eng]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use eakte_config::ExtractConfig;
use eakte_extract::pool::{WorkerCommand, WorkerPool};
use serde_json::Value;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut eakte = None;
    let mut corpus = PathBuf::from("../shared/corpus");
    let mut pages = 40usize;
    let mut languages = "deu+eng".to_owned();
    let mut skip_ocr = false;
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("missing value");
        match arg.as_str() {
            "--eakte" => eakte = Some(PathBuf::from(value()?)),
            "--corpus" => corpus = PathBuf::from(value()?),
            "--pages" => pages = value()?.parse()?,
            "--languages" => languages = value()?,
            "--skip-ocr" => skip_ocr = true,
            other => bail!("unknown argument {other}"),
        }
    }
    let eakte = std::path::absolute(eakte.context("--eakte PATH is required")?)?;
    println!("machine: {}", eakte_benches::machine());
    let index: Value =
        serde_json::from_slice(&std::fs::read(corpus.join("ground_truth_index.json"))?)?;
    let entries = index.as_object().context("index")?;
    let born_digital = |lang: Option<&str>| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = entries
            .iter()
            .filter(|(_, e)| e["kind"] == "born-digital PDF")
            .filter(|(_, e)| lang.is_none_or(|l| e["lang"] == l))
            .map(|(name, _)| corpus.join(name))
            .collect();
        files.sort();
        files
    };

    // --- OCR throughput -------------------------------------------------------------------
    let work = tempfile::tempdir()?;
    if !skip_ocr {
        ocr_throughput(
            &eakte,
            &born_digital(Some("de")),
            pages,
            &languages,
            work.path(),
        )?;
    }
    text_layer_and_memory(&eakte, &born_digital(None), &languages, work.path())
}

fn ocr_throughput(
    eakte: &Path,
    pdfs: &[PathBuf],
    pages: usize,
    languages: &str,
    work: &Path,
) -> anyhow::Result<()> {
    let images = a4_pages(pdfs, pages, work)?;
    println!(
        "\nOCR: {} A4 pages at 300 dpi (grey PNG), languages {languages}",
        images.len()
    );
    let ours = time(|| {
        let out = Command::new(eakte)
            .arg("--data")
            .arg(work.join("data"))
            .args(["extract", "--json", "--lang", languages])
            .args(&images)
            .stderr(Stdio::null())
            .output()?;
        ensure!(out.status.success(), "eakte extract failed: {}", out.status);
        let ocr_pages = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("\"source\":\"ocr\""))
            .count();
        ensure!(ocr_pages == images.len(), "only {ocr_pages} pages OCR'd");
        Ok(())
    })?;
    let cli_parallel = time(|| tesseract_lists(&images, 2, languages, Some("1"), work))?;
    let cli_openmp = time(|| tesseract_lists(&images, 1, languages, None, work))?;
    let rate = |d: Duration| images.len() as f64 / d.as_secs_f64();
    println!("| run | seconds | pages/s | eakte ÷ run |\n|---|---|---|---|");
    for (name, d) in [
        ("eakte extract (2 workers, OSD + OCR)", ours),
        (
            "tesseract CLI, 2 processes, OMP_THREAD_LIMIT=1",
            cli_parallel,
        ),
        ("tesseract CLI, 1 process, default OpenMP", cli_openmp),
    ] {
        println!(
            "| {name} | {:.1} | {:.3} | {:.2} |",
            d.as_secs_f64(),
            rate(d),
            rate(ours) / rate(d)
        );
    }

    Ok(())
}

fn text_layer_and_memory(
    eakte: &Path,
    candidates: &[PathBuf],
    languages: &str,
    work: &Path,
) -> anyhow::Result<()> {
    // --- Born-digital text extraction -------------------------------------------------------
    let discovery = extract_json(eakte, candidates, languages, work)?;
    let mut text_files = Vec::new();
    let mut text_pages = 0usize;
    for (file, result) in candidates.iter().zip(&discovery) {
        let Some(pages) = result["extraction"]["pages"].as_array() else {
            continue;
        };
        if pages.iter().all(|p| p["source"] == "text-layer") {
            text_files.push(file.clone());
            text_pages += pages.len();
        }
    }
    println!(
        "\nText layer: {} born-digital corpus PDFs whose every page has a text layer, {text_pages} pages",
        text_files.len()
    );
    let ours = time(|| extract_json(eakte, &text_files, languages, work).map(drop))?;
    let pdftotext = time(|| pdftotext_parallel(&text_files, 2))?;
    let rate = |d: Duration| text_pages as f64 / d.as_secs_f64();
    println!("| run | seconds | pages/s | eakte ÷ run |\n|---|---|---|---|");
    for (name, d) in [
        ("eakte extract (2 workers)", ours),
        ("pdftotext, 2 processes in parallel", pdftotext),
    ] {
        println!(
            "| {name} | {:.2} | {:.1} | {:.2} |",
            d.as_secs_f64(),
            rate(d),
            rate(ours) / rate(d)
        );
    }

    // --- Worker memory per document ---------------------------------------------------------
    let tiny = work.join("tiny.txt");
    std::fs::write(&tiny, "Grundlinie\n")?;
    let command = WorkerCommand {
        program: eakte.to_owned(),
        args: vec!["extract-worker".into()],
    };
    let settings = ExtractConfig {
        languages: languages.to_owned(),
        ..ExtractConfig::default()
    };
    let mut by_size: Vec<(u64, PathBuf)> = text_files
        .iter()
        .map(|f| Ok((std::fs::metadata(f)?.len(), f.clone())))
        .collect::<std::io::Result<_>>()?;
    by_size.sort();
    let mut measured = Vec::new();
    for (size, file) in &by_size {
        // A fresh worker per file: its high-water mark after a tiny file is the baseline.
        let pool = WorkerPool::new(command.clone(), settings.clone(), 1);
        let (_, base) = pool.extract_measured(&tiny, settings.clone());
        let (result, peak) = pool.extract_measured(file, settings.clone());
        let (Some(base), Some(peak), Ok(_)) = (base, peak, result) else {
            continue;
        };
        measured.push((*size, peak, peak.saturating_sub(base), file.clone()));
    }
    let base_rss = {
        let pool = WorkerPool::new(command.clone(), settings.clone(), 1);
        pool.extract_measured(&tiny, settings.clone())
            .1
            .unwrap_or(0)
    };
    println!(
        "\nWorker memory, one fresh worker per born-digital PDF (idle worker after a tiny text file: \
         peak RSS {:.1} MB):",
        base_rss as f64 / 1e6
    );
    println!(
        "| file size | files | peak RSS growth ≤ 3× size | median growth | largest growth (file) |"
    );
    println!("|---|---|---|---|---|");
    for (label, lo, hi) in [
        ("< 100 kB", 0u64, 100_000u64),
        ("100 kB – 1 MB", 100_000, 1_000_000),
        ("≥ 1 MB", 1_000_000, u64::MAX),
    ] {
        let mut group: Vec<&(u64, u64, u64, PathBuf)> = measured
            .iter()
            .filter(|m| (lo..hi).contains(&m.0))
            .collect();
        if group.is_empty() {
            continue;
        }
        group.sort_by_key(|m| m.2);
        let within = group.iter().filter(|m| m.2 <= 3 * m.0).count();
        let worst = group.last().expect("not empty");
        println!(
            "| {label} | {} | {within} | {:.1} MB | {:.1} MB ({}, {} bytes) |",
            group.len(),
            group[group.len() / 2].2 as f64 / 1e6,
            worst.2 as f64 / 1e6,
            worst.3.display(),
            worst.0
        );
    }
    let largest_peak = measured.iter().map(|m| m.1).max().unwrap_or(0);
    println!(
        "Largest peak RSS of a worker: {:.1} MB",
        largest_peak as f64 / 1e6
    );
    Ok(())
}

fn time(f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    let start = Instant::now();
    f()?;
    Ok(start.elapsed())
}

/// Renders pages of the given PDFs at 300 dpi until `count` A4 pages are collected.
fn a4_pages(pdfs: &[PathBuf], count: usize, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut pages = Vec::new();
    for (i, pdf) in pdfs.iter().enumerate() {
        let prefix = dir.join(format!("doc{i:03}"));
        let status = Command::new("pdftoppm")
            .args(["-r", "300", "-gray", "-png"])
            .arg(pdf)
            .arg(&prefix)
            .stderr(Stdio::null())
            .status()?;
        if !status.success() {
            continue;
        }
        let mut rendered: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&format!("doc{i:03}-")))
            })
            .collect();
        rendered.sort();
        for page in rendered {
            // A4 at 300 dpi is 2480 × 3508 pixels.
            let dims = image_dims(&page)?;
            if (2470..=2490).contains(&dims.0) && (3498..=3518).contains(&dims.1) {
                pages.push(page);
            } else {
                std::fs::remove_file(&page)?;
            }
            if pages.len() == count {
                return Ok(pages);
            }
        }
    }
    bail!("only {} A4 pages found in the corpus", pages.len())
}

/// Width and height of a PNG from its IHDR chunk.
fn image_dims(path: &Path) -> anyhow::Result<(u32, u32)> {
    let bytes = std::fs::read(path)?;
    ensure!(bytes.len() > 24, "not a PNG");
    let w = u32::from_be_bytes(bytes[16..20].try_into()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into()?);
    Ok((w, h))
}

/// Runs the tesseract command line over the images split into `processes` lists in parallel.
fn tesseract_lists(
    images: &[PathBuf],
    processes: usize,
    languages: &str,
    omp_thread_limit: Option<&str>,
    dir: &Path,
) -> anyhow::Result<()> {
    let mut children = Vec::new();
    for p in 0..processes {
        let list = dir.join(format!("list{p}.txt"));
        let mine: Vec<String> = images
            .iter()
            .skip(p)
            .step_by(processes)
            .map(|i| i.display().to_string())
            .collect();
        std::fs::write(&list, mine.join("\n") + "\n")?;
        let mut command = Command::new("tesseract");
        command
            .arg(&list)
            .arg(dir.join(format!("cli{p}")))
            .args(["-l", languages])
            .stderr(Stdio::null());
        match omp_thread_limit {
            Some(limit) => command.env("OMP_THREAD_LIMIT", limit),
            None => command.env_remove("OMP_THREAD_LIMIT"),
        };
        children.push(command.spawn()?);
    }
    for mut child in children {
        ensure!(child.wait()?.success(), "tesseract failed");
    }
    Ok(())
}

/// Runs `eakte extract --json` over files and returns one result per file, in order.
fn extract_json(
    eakte: &Path,
    files: &[PathBuf],
    languages: &str,
    dir: &Path,
) -> anyhow::Result<Vec<Value>> {
    let out = Command::new(eakte)
        .arg("--data")
        .arg(dir.join("data"))
        .args(["extract", "--json", "--lang", languages])
        .args(files)
        .stderr(Stdio::null())
        .output()?;
    ensure!(
        out.status.code().is_some(),
        "eakte extract died: {}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| Ok(serde_json::from_str(l)?))
        .collect()
}

/// Runs pdftotext over the files, `processes` at a time.
fn pdftotext_parallel(files: &[PathBuf], processes: usize) -> anyhow::Result<()> {
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..processes)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = {
                            let mut n = next.lock().expect("not poisoned");
                            *n += 1;
                            *n - 1
                        };
                        let Some(file) = files.get(i) else {
                            return Ok(());
                        };
                        Command::new("pdftotext")
                            .arg(file)
                            .arg("-")
                            .stdout(Stdio::null())
                            .stderr(Stdio::null())
                            .status()?;
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("thread did not panic"))
    })
}
