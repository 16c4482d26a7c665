//! Corpus check of extraction: every file of the shared corpus goes through `eakte extract`
//! (zero crashes or hangs of the calling process, each failure a specific reason), and every
//! image or scan with full ground-truth text is read at least as well as the `tesseract`
//! command line reads the same image with the same model and languages.
//!
//! Usage: corpus-extract --eakte PATH [--corpus DIR] [--languages deu+eng] [--report FILE]
//! Exit 0 when every check holds; 1 otherwise.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use serde_json::Value;

/// The codes a refusal may carry; anything else (or none) is a check failure.
const KNOWN_CODES: &[&str] = &[
    "unsupported_format",
    "encrypted",
    "too_many_pixels",
    "too_many_pages",
    "decompression_limit",
    "malformed_pdf",
    "malformed_image",
    "render_failed",
    "ocr_failed",
    "timeout",
    "cpu_limit",
    "memory_limit",
    "worker_crashed",
    "internal",
    "io",
];

/// Per-document wall-clock limit for the corpus run: far above any real file's time here,
/// low enough to bound the run if a worker hung.
const TIMEOUT_SECONDS: &str = "120";

/// The bound on the whole corpus run (it takes about a minute on two cores).
const MAX_RUN: std::time::Duration = std::time::Duration::from_secs(20 * 60);

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut eakte = None;
    let mut corpus = PathBuf::from("../shared/corpus");
    let mut languages = "deu+eng".to_owned();
    let mut report = None;
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("missing value");
        match arg.as_str() {
            "--eakte" => eakte = Some(PathBuf::from(value()?)),
            "--corpus" => corpus = PathBuf::from(value()?),
            "--languages" => languages = value()?,
            "--report" => report = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument {other}"),
        }
    }
    let eakte = eakte.context("--eakte PATH is required")?;
    let mut files = Vec::new();
    list_files(&corpus, &mut files)?;
    files.sort();
    ensure!(!files.is_empty(), "no files under {}", corpus.display());

    // One run over the whole corpus, as a scanning station's backlog would arrive.
    let data = tempfile::tempdir()?;
    let start = Instant::now();
    let mut child = Command::new(&eakte)
        .arg("--data")
        .arg(data.path())
        .args(["extract", "--json", "--lang", &languages])
        .args(&files)
        .env("EAKTE_EXTRACT_TIMEOUT_SECONDS", TIMEOUT_SECONDS)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run eakte extract")?;
    let mut stdout = child.stdout.take().context("stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut out).map(|_| out)
    });
    // The whole run is bounded: a hang anywhere is a failure of the check, not of CI's patience.
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if start.elapsed() > MAX_RUN {
            child.kill()?;
            child.wait()?;
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let stdout = reader.join().expect("reader thread")?;
    let elapsed = start.elapsed();
    let mut problems = Vec::new();
    match status {
        None => problems.push(format!("eakte extract did not finish within {MAX_RUN:?}")),
        Some(status) if status.code().is_none() => {
            problems.push(format!("eakte extract itself died: {status}"))
        }
        Some(_) => {}
    }
    let mut results: HashMap<String, Value> = HashMap::new();
    for line in String::from_utf8_lossy(&stdout).lines() {
        let value: Value =
            serde_json::from_str(line).context("eakte printed a line that is not JSON")?;
        let file = value["file"]
            .as_str()
            .context("a result without file")?
            .to_owned();
        results.insert(file, value);
    }

    let mut outcome = BTreeMap::<String, usize>::new();
    let mut pages = BTreeMap::<String, usize>::new();
    for file in &files {
        let key = file.to_string_lossy().into_owned();
        let Some(result) = results.get(&key) else {
            problems.push(format!("no result for {key}"));
            continue;
        };
        if let Some(error) = result.get("error") {
            let code = error["code"].as_str().unwrap_or("");
            if !KNOWN_CODES.contains(&code) {
                problems.push(format!("{key}: failure without a known code: {error}"));
            }
            *outcome.entry(format!("refused: {code}")).or_default() += 1;
            continue;
        }
        let extraction = &result["extraction"];
        let page_list = extraction["pages"].as_array().context("pages")?;
        let mut kinds = Vec::new();
        for page in page_list {
            let source = page["source"].as_str().unwrap_or("?").to_owned();
            if let Some(code) = page["error"]["code"].as_str() {
                *pages.entry(format!("failed page: {code}")).or_default() += 1;
            } else {
                *pages.entry(source.clone()).or_default() += 1;
            }
            if !kinds.contains(&source) {
                kinds.push(source);
            }
        }
        kinds.sort();
        *outcome
            .entry(format!("extracted: {}", kinds.join(" + ")))
            .or_default() += 1;
    }

    let mut out = String::new();
    out.push_str(&format!(
        "Corpus: {} files under {}, extracted in {:.1} s by `eakte extract` ({})\n\n",
        files.len(),
        corpus.display(),
        elapsed.as_secs_f64(),
        eakte_benches::machine()
    ));
    out.push_str("| outcome per file | files |\n|---|---|\n");
    for (k, v) in &outcome {
        out.push_str(&format!("| {k} | {v} |\n"));
    }
    out.push_str("\n| pages by source | pages |\n|---|---|\n");
    for (k, v) in &pages {
        out.push_str(&format!("| {k} | {v} |\n"));
    }

    // Accuracy against the tesseract command line on the same images.
    let index = eakte_benches::ground_truth_index(&corpus)?;
    let mut cases = Vec::new();
    for (name, entry) in &index {
        let kind = entry["kind"].as_str().unwrap_or("");
        let image_or_scan = kind.starts_with("image")
            || kind.contains("scanned")
            || (kind == "malformed" && name.ends_with(".pdf"));
        let Some(gt) = entry["ground_truth"].as_array().and_then(|g| {
            g.iter()
                .find(|t| t["type"] == "full_text")
                .and_then(|t| t["file"].as_str())
        }) else {
            continue;
        };
        if image_or_scan {
            cases.push((name.clone(), gt.to_owned()));
        }
    }
    cases.sort();
    let rows = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some((name, gt)) = cases.get(i) else {
                        break;
                    };
                    let row = accuracy(&corpus, name, gt, &languages, &results);
                    rows.lock().unwrap().push((name.clone(), row));
                }
            });
        }
    });
    let mut rows = rows.into_inner().unwrap();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    out.push_str(&format!(
        "\nCharacter error rate against the ground truth (whitespace collapsed), `eakte extract` and \
         `tesseract FILE - -l {languages}` on the same image (for PDF pages: the embedded image \
         by `pdfimages -png` where eakte decoded it directly, else the page rendered by \
         `pdftoppm -r 300 -gray`), both with OMP_THREAD_LIMIT=1:\n\n\
         | file | pages | eakte CER | tesseract CLI CER | eakte ≤ CLI |\n|---|---|---|---|---|\n"
    ));
    let (mut sum_ours, mut sum_cli) = (0.0, 0.0);
    for (name, row) in &rows {
        match row {
            Ok(r) => {
                let ok = r.ours_errors <= r.cli_errors;
                if !ok {
                    problems.push(format!(
                        "{name}: eakte CER {:.4} is worse than the command line's {:.4}",
                        r.ours, r.cli
                    ));
                }
                sum_ours += r.ours;
                sum_cli += r.cli;
                out.push_str(&format!(
                    "| {name} | {} | {:.4} | {:.4} | {} |\n",
                    r.pages,
                    r.ours,
                    r.cli,
                    if ok { "yes" } else { "**no**" }
                ));
            }
            Err(e) => {
                problems.push(format!("{name}: {e:#}"));
                out.push_str(&format!("| {name} | – | – | – | error: {e:#} |\n"));
            }
        }
    }
    if !rows.is_empty() {
        out.push_str(&format!(
            "| **mean of {}** | | {:.4} | {:.4} | |\n",
            rows.len(),
            sum_ours / rows.len() as f64,
            sum_cli / rows.len() as f64
        ));
    }
    println!("{out}");
    if let Some(report) = report {
        std::fs::write(&report, &out)?;
    }
    for p in &problems {
        eprintln!("corpus-extract: PROBLEM: {p}");
    }
    if problems.is_empty() {
        eprintln!("corpus-extract: all checks passed");
        Ok(())
    } else {
        bail!("{} problems", problems.len())
    }
}

fn list_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list_files(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

struct Accuracy {
    pages: usize,
    ours: f64,
    cli: f64,
    ours_errors: usize,
    cli_errors: usize,
}

/// Whitespace collapsed to single spaces: layout is not what OCR accuracy is about.
fn normalise(text: &str) -> Vec<char> {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect()
}

/// Edit distance of each page to the ground truth, summed over pages.
fn errors(pages: &[String], truth: &Vec<char>) -> usize {
    pages
        .iter()
        .map(|p| strsim::generic_levenshtein(&normalise(p), truth))
        .sum()
}

fn accuracy(
    corpus: &Path,
    name: &str,
    gt: &str,
    languages: &str,
    results: &HashMap<String, Value>,
) -> anyhow::Result<Accuracy> {
    let file = corpus.join(name);
    let truth = normalise(&std::fs::read_to_string(corpus.join(gt))?);
    let result = results
        .get(&*file.to_string_lossy())
        .context("no eakte result")?;
    let Some(our_pages) = result["extraction"]["pages"].as_array() else {
        bail!("eakte refused it: {}", result["error"]);
    };
    let ours: Vec<String> = our_pages
        .iter()
        .map(|p| p["text"].as_str().unwrap_or("").to_owned())
        .collect();
    // The command line reads the same image eakte read: a PDF page's embedded image where
    // eakte decoded that, else the page rendered at 300 dpi.
    let embedded: Vec<bool> = our_pages
        .iter()
        .map(|p| p["ocr_input"] == "embedded-image")
        .collect();
    let cli = cli_pages(&file, languages, &embedded)?;
    let denominator = (truth.len().max(1) * ours.len().max(1)) as f64;
    let cli_denominator = (truth.len().max(1) * cli.len().max(1)) as f64;
    let (ours_errors, cli_errors) = (errors(&ours, &truth), errors(&cli, &truth));
    // Compare per page on the same number of pages.
    ensure!(
        ours.len() == cli.len(),
        "eakte found {} pages, the command line {}",
        ours.len(),
        cli.len()
    );
    Ok(Accuracy {
        pages: ours.len(),
        ours: ours_errors as f64 / denominator,
        cli: cli_errors as f64 / cli_denominator,
        ours_errors,
        cli_errors,
    })
}

/// The tesseract command line's text of each page of a file; for a PDF, page by page from the
/// embedded image (`pdfimages -png`) where `embedded` says so, else from `pdftoppm -r 300 -gray`.
fn cli_pages(file: &Path, languages: &str, embedded: &[bool]) -> anyhow::Result<Vec<String>> {
    let is_pdf = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    let mut images = Vec::new();
    let dir = tempfile::tempdir()?;
    if is_pdf {
        for (i, &from_image) in embedded.iter().enumerate() {
            let page = (i + 1).to_string();
            let prefix = dir.path().join(format!("p{:04}", i + 1));
            let status = if from_image {
                Command::new("pdfimages")
                    .args(["-png", "-f", &page, "-l", &page])
                    .arg(file)
                    .arg(&prefix)
                    .stderr(Stdio::null())
                    .status()?
            } else {
                Command::new("pdftoppm")
                    .args([
                        "-r",
                        "300",
                        "-gray",
                        "-singlefile",
                        "-f",
                        &page,
                        "-l",
                        &page,
                    ])
                    .arg(file)
                    .arg(&prefix)
                    .stderr(Stdio::null())
                    .status()?
            };
            ensure!(
                status.success(),
                "poppler failed on page {page} of {}",
                file.display()
            );
        }
        let mut rendered: Vec<PathBuf> = std::fs::read_dir(dir.path())?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        rendered.sort();
        images = rendered;
    } else {
        images.push(file.to_owned());
    }
    let mut pages = Vec::new();
    for image in images {
        let output = Command::new("tesseract")
            .arg(&image)
            .args(["-", "-l", languages])
            .env("OMP_THREAD_LIMIT", "1")
            .stderr(Stdio::null())
            .output()?;
        ensure!(
            output.status.success(),
            "tesseract failed on {}",
            image.display()
        );
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        // A multi-page TIFF comes back as one text with form feeds between pages.
        pages.extend(
            text.split('\u{c}')
                .filter(|p| !p.trim().is_empty() || !is_pdf)
                .map(str::to_owned),
        );
    }
    // The command line ends its last page with a form feed; drop the empty remainder.
    while pages.len() > 1 && pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    Ok(pages)
}
