//! Helpers shared by the eakte benchmarks: data generation, timing, and the baseline tools.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

/// A seeded generator, so that every run measures the same bytes.
pub fn rng(seed: u64) -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(seed)
}

/// Compressible bytes: German administrative words, as in the citizens' office's letters.
pub fn text(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "Meldebescheinigung",
        "Aktenzeichen",
        "Bürgerbüro",
        "Antrag",
        "Personalausweis",
        "Straße",
        "Wohnung",
        "Gemeinde",
        "und",
        "der",
        "die",
        "das",
        "für",
        "vom",
        "gemäß",
        "Bundesmeldegesetz",
        "Anschrift",
        "Geburtsdatum",
        "Musterstadt",
        "Frau",
        "Herr",
        "Gebühr",
        "Euro",
        "bezahlt",
        "Bescheid",
        "Widerspruch",
        "innerhalb",
        "eines",
        "Monats",
    ];
    let mut out = Vec::with_capacity(len + 32);
    while out.len() < len {
        out.extend_from_slice(WORDS[rng.random_range(0..WORDS.len())].as_bytes());
        out.push(if rng.random_range(0..12) == 0 {
            b'\n'
        } else {
            b' '
        });
        if rng.random_range(0..40) == 0 {
            out.extend_from_slice(format!("{} ", rng.random_range(0..100_000)).as_bytes());
        }
    }
    out.truncate(len);
    out
}

/// Incompressible bytes, like JPEG scans.
pub fn noise(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rng.fill_bytes(&mut out);
    out
}

/// Runs `f` and returns how long it took.
pub fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Megabytes (10^6 bytes) per second.
pub fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64()
}

/// Runs a command-line tool and returns its wall-clock time; fails when it exits non-zero.
pub fn time_tool(program: &str, args: &[&str], cwd: &Path) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let status = Command::new(program).args(args).current_dir(cwd).status()?;
    let elapsed = start.elapsed();
    anyhow::ensure!(status.success(), "{program} {args:?} failed: {status}");
    Ok(elapsed)
}

/// The machine, for the record: core count and CPU model.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("nproc {cores}, {model}")
}
