//! The Markdown report: builds, latency by query kind, time-to-searchable and the goals.

use std::time::Duration;

use eakte_benches::quantile;

use crate::Build;
use crate::fts::Answer;
use crate::queries::{Kind, Query};

/// Everything one run measured.
pub struct Results<'a> {
    /// Bytes of title and body text in the corpus.
    pub raw_bytes: u64,
    /// Documents in the corpus.
    pub docs: u64,
    /// The FTS5 build.
    pub fts_build: Build,
    /// The eakte build.
    pub eakte_build: Build,
    /// The query set.
    pub queries: &'a [Query],
    /// FTS5's answers, one per query.
    pub fts: &'a [Answer],
    /// eakte's answers; `None` where eakte refused the query.
    pub eakte: &'a [Option<Answer>],
    /// eakte's refusals, as text.
    pub errors: &'a [String],
    /// Time-to-searchable of each ingested document that was found.
    pub delays: Vec<Duration>,
    /// Ingested documents never found.
    pub lost: usize,
    /// Length of the ingest phase.
    pub ingest_seconds: u64,
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**not met**" }
}

/// Prints the report on standard output.
pub fn print(r: &Results<'_>) {
    let rate = |b: &Build| b.docs as f64 / b.secs;
    println!("## Build\n");
    println!(
        "| engine | docs | seconds | docs/s | peak RSS MiB | size on disk MB | size / raw text ({:.0} MB) | segments |",
        r.raw_bytes as f64 / 1e6
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, b) in [
        ("eakte-index", &r.eakte_build),
        ("SQLite FTS5", &r.fts_build),
    ] {
        println!(
            "| {name} | {} | {:.1} | {:.0} | {:.0} | {:.1} | {:.2} | {} |",
            b.docs,
            b.secs,
            rate(b),
            b.peak_rss_kib as f64 / 1024.0,
            b.bytes as f64 / 1e6,
            b.bytes as f64 / r.raw_bytes as f64,
            b.segments
        );
    }

    println!("\n## Search latency (top 10 and the total count), ms\n");
    println!(
        "| query kind | queries | eakte p50 | eakte p99 | FTS5 p50 | FTS5 p99 | eakte mean total | FTS5 mean total | same total and hits |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut all_e = Vec::new();
    let mut all_f = Vec::new();
    for kind in Kind::ALL {
        let idx: Vec<usize> = (0..r.queries.len())
            .filter(|i| r.queries[*i].kind == kind)
            .collect();
        let e: Vec<&Answer> = idx.iter().filter_map(|i| r.eakte[*i].as_ref()).collect();
        let f: Vec<&Answer> = idx.iter().map(|i| &r.fts[*i]).collect();
        let e_lat: Vec<Duration> = e.iter().map(|a| a.latency).collect();
        let f_lat: Vec<Duration> = f.iter().map(|a| a.latency).collect();
        all_e.extend(&e_lat);
        all_f.extend(&f_lat);
        let mean =
            |v: &[&Answer]| v.iter().map(|a| a.total as f64).sum::<f64>() / v.len().max(1) as f64;
        let same = idx
            .iter()
            .filter(|i| {
                r.eakte[**i]
                    .is_some_and(|a| a.total == r.fts[**i].total && a.hits == r.fts[**i].hits)
            })
            .count();
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.0} | {:.0} | {same} of {} |",
            kind.name(),
            idx.len(),
            ms(quantile(&e_lat, 0.5)),
            ms(quantile(&e_lat, 0.99)),
            ms(quantile(&f_lat, 0.5)),
            ms(quantile(&f_lat, 0.99)),
            mean(&e),
            mean(&f),
            idx.len()
        );
    }
    let (e50, e99) = (quantile(&all_e, 0.5), quantile(&all_e, 0.99));
    println!(
        "| **all** | {} | {} | {} | {} | {} | | | |",
        r.queries.len(),
        ms(e50),
        ms(e99),
        ms(quantile(&all_f, 0.5)),
        ms(quantile(&all_f, 0.99))
    );
    if !r.errors.is_empty() {
        println!("\neakte refused {} queries, for example:\n", r.errors.len());
        for e in r.errors.iter().take(5) {
            println!("- `{e}`");
        }
    }

    let t99 = quantile(&r.delays, 0.99);
    println!(
        "\n## Time-to-searchable (eakte, 50 documents/s for {} s into the built index)\n",
        r.ingest_seconds
    );
    println!(
        "found {} documents, never found {}; p50 {} ms, p99 {} ms, max {} ms",
        r.delays.len(),
        r.lost,
        ms(quantile(&r.delays, 0.5)),
        ms(t99),
        ms(quantile(&r.delays, 1.0))
    );

    let speedup = rate(&r.eakte_build) / rate(&r.fts_build);
    let size = r.eakte_build.bytes as f64 / r.raw_bytes as f64;
    let at_million = if r.docs >= 1_000_000 {
        ""
    } else {
        " (goal is for 10^6 documents; this run has fewer)"
    };
    println!("\n## Goals\n");
    println!("| goal | measured | verdict |");
    println!("|---|---|---|");
    println!(
        "| build ≥ 3× FTS5 | {speedup:.2}× ({:.0} against {:.0} docs/s) | {} |",
        rate(&r.eakte_build),
        rate(&r.fts_build),
        yes_no(speedup >= 3.0)
    );
    println!(
        "| search p50 ≤ 2 ms at 10^6 | {} ms{at_million} | {} |",
        ms(e50),
        yes_no(e50 <= Duration::from_millis(2))
    );
    println!(
        "| search p99 ≤ 20 ms at 10^6 | {} ms{at_million} | {} |",
        ms(e99),
        yes_no(e99 <= Duration::from_millis(20))
    );
    println!(
        "| index size ≤ 1.5× raw text | {size:.2}× | {} |",
        yes_no(size <= 1.5)
    );
    println!(
        "| time-to-searchable p99 ≤ 1 s | {} ms, {} never found | {} |",
        ms(t99),
        r.lost,
        yes_no(t99 <= Duration::from_secs(1) && r.lost == 0 && !r.delays.is_empty())
    );
}
