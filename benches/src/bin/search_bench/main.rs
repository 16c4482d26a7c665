//! Search benchmark: eakte-index against SQLite FTS5 on the same generated corpus and queries —
//! build rate, peak memory of each build, size on disk, query latency, time-to-searchable.
//!
//! Run: `cargo run --release -p eakte-benches --bin search-bench -- --docs N [--queries Q] [--seed S]
//! [--dir DIR] [--ingest-seconds S]`

mod corpus;
mod eakte;
mod fts;
mod queries;
mod report;
mod vocab;
mod words;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;

use crate::corpus::{Generator, write_corpus};

/// Options of the parent run.
struct Args {
    docs: u64,
    queries: usize,
    seed: u64,
    dir: PathBuf,
    ingest_seconds: u64,
}

fn number<T: std::str::FromStr>(
    it: &mut impl Iterator<Item = String>,
    flag: &str,
) -> anyhow::Result<T> {
    it.next()
        .and_then(|n| n.replace('_', "").parse().ok())
        .with_context(|| format!("{flag} needs a number"))
}

fn args(raw: Vec<String>) -> anyhow::Result<Args> {
    let mut a = Args {
        docs: 20_000,
        queries: 1100,
        seed: 1,
        dir: PathBuf::from("/var/tmp"),
        ingest_seconds: 60,
    };
    let mut it = raw.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--docs" => a.docs = number(&mut it, "--docs")?,
            "--queries" => a.queries = number(&mut it, "--queries")?,
            "--seed" => a.seed = number(&mut it, "--seed")?,
            "--ingest-seconds" => a.ingest_seconds = number(&mut it, "--ingest-seconds")?,
            "--dir" => a.dir = it.next().context("--dir needs a directory")?.into(),
            other => anyhow::bail!(
                "unknown argument {other}; use --docs N, --queries Q, --seed S, --dir DIR, --ingest-seconds S"
            ),
        }
    }
    anyhow::ensure!(a.docs >= 100, "--docs must be at least 100");
    anyhow::ensure!(a.queries >= 11, "--queries must be at least 11");
    Ok(a)
}

/// The peak resident set of this process in KiB, from `/proc/self/status`.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The child side: build one engine's index and print what the parent reads.
fn child(engine: &str, corpus: &Path, dir: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    let (docs, segments) = match engine {
        "fts" => (fts::build(corpus, dir)?, 1),
        "eakte" => {
            let facts = eakte::build(corpus, dir)?;
            (facts.docs, facts.segments)
        }
        other => anyhow::bail!("unknown engine {other}"),
    };
    let secs = start.elapsed().as_secs_f64();
    println!(
        "docs={docs} secs={secs} segments={segments} peak_rss_kib={}",
        peak_rss_kib()
    );
    Ok(())
}

/// One engine's build as the child reported it.
#[derive(Debug, Clone, Copy)]
pub struct Build {
    /// Documents indexed.
    pub docs: u64,
    /// Seconds from open to the end of the final commit or optimize.
    pub secs: f64,
    /// Segments (eakte) or 1 (FTS5).
    pub segments: u64,
    /// Peak resident set of the child in KiB.
    pub peak_rss_kib: u64,
    /// Bytes on disk after the build.
    pub bytes: u64,
}

fn run_child(engine: &str, corpus: &Path, dir: &Path) -> anyhow::Result<Build> {
    std::fs::create_dir_all(dir)?;
    let out = Command::new(std::env::current_exe()?)
        .args(["--child", engine, "--corpus"])
        .arg(corpus)
        .arg("--dir")
        .arg(dir)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{engine} build failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    let field = |name: &str| -> anyhow::Result<f64> {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .with_context(|| format!("the {engine} child did not report {name}: {text}"))
    };
    Ok(Build {
        docs: field("docs")? as u64,
        secs: field("secs")?,
        segments: field("segments")? as u64,
        peak_rss_kib: field("peak_rss_kib")? as u64,
        bytes: eakte_benches::dir_bytes(dir)?,
    })
}

fn main() -> anyhow::Result<()> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some("--child") {
        let engine = raw.get(1).context("--child needs an engine")?;
        let corpus = raw.get(3).context("--child needs --corpus FILE")?;
        let dir = raw.get(5).context("--child needs --dir DIR")?;
        return child(engine, Path::new(corpus), Path::new(dir));
    }
    let args = args(raw)?;
    std::fs::create_dir_all(&args.dir)?;
    let work = tempfile::Builder::new()
        .prefix("search-bench")
        .tempdir_in(&args.dir)?;
    println!("# eakte search benchmark\n");
    println!(
        "machine: {}; {} documents, {} queries, seed {}; work directory {}\n",
        eakte_benches::machine(),
        args.docs,
        args.queries,
        args.seed,
        work.path().display()
    );

    let generator = Generator::new(args.seed, args.docs);
    let corpus = work.path().join("corpus");
    let (raw_bytes, gen_time) =
        eakte_benches::time(|| write_corpus(&generator, args.docs, &corpus));
    let raw_bytes = raw_bytes?;
    eprintln!(
        "corpus: {} bytes of text in {:.1} s",
        raw_bytes,
        gen_time.as_secs_f64()
    );
    let queries = queries::queries(&generator, args.seed, args.docs, args.queries);

    let fts_dir = work.path().join("fts");
    let eakte_dir = work.path().join("eakte");
    let fts_build = run_child("fts", &corpus, &fts_dir)?;
    eprintln!("fts build: {fts_build:?}");
    let eakte_build = run_child("eakte", &corpus, &eakte_dir)?;
    eprintln!("eakte build: {eakte_build:?}");

    // A short first pass warms both engines' caches; the pages were read moments ago by the
    // builds, and a full second pass would double the longest part of a run at 10^6.
    let warm = &queries[..queries.len().min(110)];
    fts::search(&fts_dir, warm)?;
    let fts_answers = fts::search(&fts_dir, &queries)?;
    eakte::search(&eakte_dir, warm)?;
    let (eakte_answers, errors) = eakte::search(&eakte_dir, &queries)?;
    eprintln!("searches done");

    let base = args.docs;
    let (delays, lost) = eakte::time_to_searchable(
        &eakte_dir,
        |i| {
            let mut doc = generator.doc(i % base);
            doc.number = base + i;
            doc
        },
        50,
        args.ingest_seconds,
    )?;

    report::print(&report::Results {
        raw_bytes,
        docs: args.docs,
        fts_build,
        eakte_build,
        queries: &queries,
        fts: &fts_answers,
        eakte: &eakte_answers,
        errors: &errors,
        delays,
        lost,
        ingest_seconds: args.ingest_seconds,
    });
    Ok(())
}
