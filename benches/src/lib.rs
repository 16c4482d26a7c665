//! Helpers shared by the eakte benchmarks: data generation, timing, and the baseline tools.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub use eakte_testkit::{noise, rng, text};

/// Runs `f` and returns how long it took.
pub fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Bytes of all files below `dir`.
pub fn dir_bytes(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// The `p`-quantile (0..=1) of durations by the nearest-rank method; zero when empty.
pub fn quantile(values: &[Duration], p: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    let mut v = values.to_vec();
    v.sort();
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
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

/// The shared corpus's `ground_truth_index.json`: file name (relative to the corpus) → its
/// entry (kind, language, ground truths).
pub fn ground_truth_index(
    corpus: &Path,
) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let path = corpus.join("ground_truth_index.json");
    let bytes = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    match serde_json::from_slice(&bytes)? {
        serde_json::Value::Object(index) => Ok(index),
        _ => anyhow::bail!("{} is not a JSON object", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(quantile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&v, 1.0), Duration::from_millis(100));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    }
}
