//! Store benchmark: put and get throughput by blob size and kind of data, against `zstd -3`,
//! `zstd -d`, blake3 and the disk measured in the same run; concurrent small durable puts; space.
//!
//! Run: `cargo run --release -p eakte-benches --bin store-bench -- [--dir DIR] [--quick] [--repeat N]`

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use eakte_benches::{machine, mb_per_s, noise, rng, text, time, time_tool};
use eakte_config::StoreConfig;
use eakte_store::{BlobStore, FileStore};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

struct Args {
    dir: PathBuf,
    quick: bool,
    repeat: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut dir = PathBuf::from("/var/tmp");
    let mut quick = false;
    let mut repeat = 3;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--dir" => dir = it.next().context("--dir needs a directory")?.into(),
            "--quick" => quick = true,
            "--repeat" => {
                repeat = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n >= 1)
                    .context("--repeat needs a count of at least 1")?
            }
            other => {
                anyhow::bail!("unknown argument {other}; use --dir DIR, --quick, --repeat N")
            }
        }
    }
    Ok(Args { dir, quick, repeat })
}

/// Sequential write of `bytes` in 4 MiB writes, then one fsync: the disk's streaming write rate.
fn disk_write_rate(dir: &Path, bytes: usize) -> anyhow::Result<f64> {
    let path = dir.join("disk-write-probe");
    let chunk = noise(&mut rng(99), 4 * MIB);
    let (result, elapsed) = time(|| -> std::io::Result<()> {
        let mut file = File::create(&path)?;
        for _ in 0..bytes / chunk.len() {
            file.write_all(&chunk)?;
        }
        file.sync_all()
    });
    result?;
    std::fs::remove_file(&path)?;
    Ok(mb_per_s(bytes as u64, elapsed))
}

/// Appends of 4 KiB each followed by fdatasync: the disk's durable-write rate per second.
fn raw_fsync_rate(dir: &Path, count: usize) -> anyhow::Result<f64> {
    let path = dir.join("fsync-probe");
    let block = vec![7u8; 4 * KIB];
    let mut file = File::create(&path)?;
    let (result, elapsed) = time(|| -> std::io::Result<()> {
        for _ in 0..count {
            file.write_all(&block)?;
            file.sync_data()?;
        }
        Ok(())
    });
    result?;
    std::fs::remove_file(&path)?;
    Ok(count as f64 / elapsed.as_secs_f64())
}

#[derive(Clone, Copy)]
struct SizeResult {
    kind: &'static str,
    size: usize,
    count: usize,
    put: f64,
    get: f64,
    zstd3: f64,
    zstd_d: f64,
    blake3: f64,
    stored_bytes: u64,
    record_bytes: u64,
    zstd_sum: u64,
    logical: u64,
}

/// The median of `repeat` runs of [`bench_size_once`], each rate on its own.
fn bench_size(
    dir: &Path,
    kind: &'static str,
    size: usize,
    volume: usize,
    repeat: usize,
) -> anyhow::Result<SizeResult> {
    let runs: Vec<SizeResult> = (0..repeat)
        .map(|_| bench_size_once(dir, kind, size, volume))
        .collect::<anyhow::Result<_>>()?;
    let median = |f: fn(&SizeResult) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Ok(SizeResult {
        put: median(|r| r.put),
        get: median(|r| r.get),
        zstd3: median(|r| r.zstd3),
        zstd_d: median(|r| r.zstd_d),
        blake3: median(|r| r.blake3),
        ..runs[0]
    })
}

fn bench_size_once(
    dir: &Path,
    kind: &'static str,
    size: usize,
    volume: usize,
) -> anyhow::Result<SizeResult> {
    let count = (volume / size).max(2);
    let mut gen_rng = rng(size as u64);
    let pool = if kind == "text" {
        text(&mut gen_rng, size * count)
    } else {
        noise(&mut gen_rng, size * count)
    };
    let blobs: Vec<&[u8]> = pool.chunks(size).collect();
    let work = tempfile::tempdir_in(dir)?;
    let store = FileStore::open(&work.path().join("store"), &StoreConfig::default())?;

    let (ids, put_time) = time(|| -> anyhow::Result<Vec<_>> {
        blobs
            .iter()
            .map(|b| Ok(store.put(&mut &b[..])?.id))
            .collect()
    });
    let ids = ids?;
    let (read, get_time) = time(|| -> anyhow::Result<u64> {
        let mut total = 0;
        for id in &ids {
            total += std::io::copy(&mut store.open_blob(id)?, &mut std::io::sink())?;
        }
        Ok(total)
    });
    anyhow::ensure!(
        read? == pool.len() as u64,
        "get returned a different length"
    );
    let stats = store.stats()?;
    drop(store);

    let (_, blake3_time) = time(|| {
        for b in &blobs {
            std::hint::black_box(blake3::hash(b));
        }
    });
    // What the records would be if each blob were one plain zstd -3 frame (raw when larger).
    let zstd_sum: u64 = blobs
        .iter()
        .map(|b| zstd::bulk::compress(b, 3).map_or(b.len(), |c| c.len().min(b.len())) as u64)
        .sum();

    let input = work.path().join("input");
    std::fs::write(&input, &pool)?;
    let zstd3 = time_tool(
        "zstd",
        &["-3", "-T1", "-q", "-f", "input", "-o", "input.zst"],
        work.path(),
    )?;
    let zstd_d = time_tool(
        "zstd",
        &["-d", "-q", "-f", "input.zst", "-o", "/dev/null"],
        work.path(),
    )?;
    let bytes = pool.len() as u64;
    Ok(SizeResult {
        kind,
        size,
        count,
        put: mb_per_s(bytes, put_time),
        get: mb_per_s(bytes, get_time),
        zstd3: mb_per_s(bytes, zstd3),
        zstd_d: mb_per_s(bytes, zstd_d),
        blake3: mb_per_s(bytes, blake3_time),
        stored_bytes: stats.stored_bytes,
        record_bytes: stats.record_bytes,
        zstd_sum,
        logical: stats.logical_bytes,
    })
}

/// 4 KiB durable puts from `writers` threads at once; returns puts per second.
fn concurrent_small_puts(dir: &Path, writers: usize, total: usize) -> anyhow::Result<f64> {
    let work = tempfile::tempdir_in(dir)?;
    let store = FileStore::open(&work.path().join("store"), &StoreConfig::default())?;
    let per_writer = total / writers;
    let blobs: Vec<Vec<Vec<u8>>> = (0..writers)
        .map(|w| {
            let mut r = rng(1000 + w as u64);
            (0..per_writer).map(|_| text(&mut r, 4 * KIB)).collect()
        })
        .collect();
    let start = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = blobs
            .iter()
            .map(|mine| {
                let store = &store;
                scope.spawn(move || -> anyhow::Result<()> {
                    for b in mine {
                        store.put(&mut &b[..])?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a writer panicked"))??;
        }
        Ok(())
    })?;
    let elapsed: Duration = start.elapsed();
    Ok((per_writer * writers) as f64 / elapsed.as_secs_f64())
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    std::fs::create_dir_all(&args.dir)?;
    let scale = if args.quick { 8 } else { 1 };
    println!("# eakte store benchmark\n");
    println!(
        "machine: {}; work directory: {}; each rate is the median of {} runs\n",
        machine(),
        args.dir.display(),
        args.repeat
    );

    let disk = disk_write_rate(&args.dir, 1024 * MIB / scale)?;
    let fsyncs = raw_fsync_rate(&args.dir, 2000 / scale)?;
    println!(
        "baseline disk: sequential write + fsync {disk:.0} MB/s; 4 KiB write + fdatasync {fsyncs:.0}/s\n"
    );

    println!(
        "| data | blob size | blobs | put MB/s | zstd -3 MB/s | put / zstd -3 | put / disk | get MB/s | zstd -d MB/s | get / zstd -d | blake3 MB/s | stored / records | stored / zstd frames | compression |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let sizes = [
        (4 * KIB, 32 * MIB),
        (64 * KIB, 128 * MIB),
        (MIB, 256 * MIB),
        (64 * MIB, 512 * MIB),
    ];
    for kind in ["text", "noise"] {
        for (size, volume) in sizes {
            let r = bench_size(&args.dir, kind, size, volume / scale, args.repeat)?;
            let label = if r.size >= MIB {
                format!("{} MiB", r.size / MIB)
            } else {
                format!("{} KiB", r.size / KIB)
            };
            println!(
                "| {} | {label} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0} | {:.0} | {:.2} | {:.0} | {:.3} | {:.3} | {:.2} |",
                r.kind,
                r.count,
                r.put,
                r.zstd3,
                r.put / r.zstd3,
                r.put / disk,
                r.get,
                r.zstd_d,
                r.get / r.zstd_d,
                r.blake3,
                r.stored_bytes as f64 / r.record_bytes as f64,
                r.stored_bytes as f64 / r.zstd_sum as f64,
                r.logical as f64 / r.record_bytes as f64,
            );
        }
    }

    println!("\n| concurrent writers | 4 KiB durable puts/s | raw fsyncs/s |");
    println!("|---|---|---|");
    for writers in [1, 8, 64] {
        let total = if writers == 1 { 2000 } else { 16_000 } / scale;
        let rate = concurrent_small_puts(&args.dir, writers, total)?;
        println!("| {writers} | {rate:.0} | {fsyncs:.0} |");
    }
    Ok(())
}
