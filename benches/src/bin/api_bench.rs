//! HTTP API benchmark: audited metadata reads and searches through `eakte serve`, measured with
//! wrk on loopback, against a trivial endpoint of the same server and against the library calls
//! the handlers make (`Service::read_document`, `Service::search`) in the same run.
//!
//! Run: `cargo build --release -p eakte-cli -p eakte-benches && target/release/api-bench --eakte
//! target/release/eakte [--docs N] [--dir DIR] [--seconds S] [--connections C] [--queries Q]`.
//! The data directory (`DIR/api-bench-N`) is filled through the service on the first run (every
//! document filed, journaled, extracted and indexed as a clerk's upload would be) and reused after.

#[allow(dead_code)]
#[path = "search_bench/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "search_bench/queries.rs"]
mod queries;
#[allow(dead_code)]
#[path = "search_bench/vocab.rs"]
mod vocab;
#[allow(dead_code)]
#[path = "search_bench/words.rs"]
mod words;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use eakte_config::Config;
use eakte_extract::pool::WorkerCommand;
use eakte_index::{Filter, SearchRequest, Sort};
use eakte_journal::Actor;
use eakte_service::tokens::NewToken;
use eakte_service::{AkteKey, FileRequest, NewAkte, Options, Principal, Role, Service};
use eakte_types::{Confidentiality, DokumentId};

use crate::corpus::{Generator, PLAN_CODES};

struct Args {
    eakte: PathBuf,
    docs: u64,
    dir: PathBuf,
    seconds: u64,
    connections: u32,
    queries: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        eakte: PathBuf::new(),
        docs: 20_000,
        dir: PathBuf::from("/var/tmp"),
        seconds: 20,
        connections: 64,
        queries: 550,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--eakte" => a.eakte = value()?.into(),
            "--docs" => a.docs = value()?.replace('_', "").parse()?,
            "--dir" => a.dir = value()?.into(),
            "--seconds" => a.seconds = value()?.parse()?,
            "--connections" => a.connections = value()?.parse()?,
            "--queries" => a.queries = value()?.parse()?,
            other => bail!(
                "unknown argument {other}; use --eakte BIN, --docs N, --dir DIR, --seconds S, --connections C, --queries Q"
            ),
        }
    }
    if a.eakte.as_os_str().is_empty() {
        bail!("--eakte BIN (the release eakte binary) is needed");
    }
    Ok(a)
}

fn operator() -> Principal {
    Principal::operator(Actor {
        user: "api-bench".into(),
        role: "operator".into(),
        unit: None,
        client: Some("bench".into()),
    })
}

/// The clerk both the library run and the API run search and read as: every unit, every level.
fn clerk_units() -> Vec<String> {
    PLAN_CODES
        .iter()
        .map(|(_, unit)| (*unit).to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn clerk() -> Principal {
    Principal {
        user: "bench-clerk".into(),
        role: Role::Clerk,
        units: clerk_units(),
        clearance: Confidentiality::Vertraulich,
        client: Some("bench".into()),
    }
}

/// A file plan holding the generator's plan codes.
fn plan_json() -> String {
    let mut groups: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    for (code, unit) in PLAN_CODES {
        groups
            .entry(&code[..2])
            .or_default()
            .push(serde_json::json!({
                "code": code, "title": format!("Betreff {code}"), "record_class": "fallakte",
                "unit": unit, "archival_value": "B"
            }));
    }
    let units: Vec<serde_json::Value> = groups
        .into_iter()
        .map(|(group, children)| {
            let unit = children[0]["unit"].clone();
            serde_json::json!({
                "code": group, "title": format!("Gruppe {group}"), "record_class": "sachakte",
                "unit": unit, "archival_value": "B", "children": children
            })
        })
        .collect();
    serde_json::json!({"format": 1, "plan_version": "bench", "title": "Benchmark", "units": units})
        .to_string()
}

fn open(data: &Path, eakte: &Path) -> anyhow::Result<Service> {
    let options = Options {
        worker: WorkerCommand {
            program: eakte.to_owned(),
            args: vec!["extract-worker".into()],
        },
    };
    Ok(Service::open(data, Config::default(), options)?)
}

/// Files the corpus through the service with eight filing threads; returns the document ids.
fn fill(data: &Path, eakte: &Path, docs: u64) -> anyhow::Result<Vec<DokumentId>> {
    let service = Arc::new(open(data, eakte)?);
    service.import_plan(&operator(), plan_json().as_bytes())?;
    let generator = Arc::new(Generator::new(1, docs));
    // One Akte per generator Akte, in the document's unit and confidentiality.
    let mut akten = BTreeMap::new();
    for n in 0..docs {
        let doc = generator.doc(n);
        if let std::collections::btree_map::Entry::Vacant(slot) = akten.entry(doc.akte) {
            let confidentiality = match doc.confidentiality {
                0 => Confidentiality::Offen,
                1 => Confidentiality::Nfd,
                _ => Confidentiality::Vertraulich,
            };
            let akte = service.create_akte(
                &operator(),
                NewAkte {
                    plan_code: doc.plan_code.parse()?,
                    title: format!("Akte {}", doc.akte),
                    unit: doc.unit.clone(),
                    confidentiality,
                },
            )?;
            slot.insert(akte.id);
        }
    }
    let akten = Arc::new(akten);
    let spool = tempfile::tempdir_in(data)?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (service, generator, akten, next) = (
                Arc::clone(&service),
                Arc::clone(&generator),
                Arc::clone(&akten),
                Arc::clone(&next),
            );
            let path = spool.path().join(format!("doc-{t}.txt"));
            std::thread::spawn(move || -> anyhow::Result<Vec<DokumentId>> {
                let mut ids = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= docs {
                        return Ok(ids);
                    }
                    let doc = generator.doc(n);
                    std::fs::write(&path, doc.body.as_bytes())?;
                    let request = FileRequest {
                        akte: Some(AkteKey::Id(akten[&doc.akte])),
                        title: Some(doc.title.clone()),
                        doc_type: Some(doc.doc_type.clone()),
                        received: Some(doc.received),
                        ..FileRequest::default()
                    };
                    ids.push(service.file_document(&operator(), &path, &request)?.id());
                    if n % 10_000 == 0 {
                        eprintln!("api-bench: filed {n} of {docs}");
                    }
                }
            })
        })
        .collect();
    let mut ids = Vec::new();
    for thread in threads {
        ids.extend(
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("a filing thread panicked"))??,
        );
    }
    let filed = started.elapsed();
    service.wait_idle()?;
    eprintln!(
        "api-bench: {docs} documents filed in {:.0} s, extracted and indexed after {:.0} s",
        filed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Arc::try_unwrap(service)
        .map_err(|_| anyhow::anyhow!("the service is still shared"))?
        .close()?;
    Ok(ids)
}

/// The library's latency of `work` over `n` calls, sequentially: (p50, p99) in ms.
fn library<T>(
    n: usize,
    mut work: impl FnMut(usize) -> anyhow::Result<T>,
) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        work(i)?;
        times.push(started.elapsed());
    }
    let ms = |p| eakte_benches::quantile(&times, p).as_secs_f64() * 1000.0;
    Ok((ms(0.5), ms(0.99)))
}

/// The search requests of the query set (eakte's query language and filters).
fn search_requests(docs: u64, count: usize) -> Vec<SearchRequest> {
    let generator = Generator::new(1, docs);
    queries::queries(&generator, 1, docs, count)
        .into_iter()
        .map(|q| SearchRequest {
            query: q.eakte,
            filter: Filter {
                plan_code: q.conditions.plan_prefix.map(|p| format!("{p}.*")),
                doc_type: q.conditions.doc_type,
                received_from: q.conditions.received.map(|r| r.0),
                received_to: q.conditions.received.map(|r| r.1),
                ..Filter::default()
            },
            sort: Sort::Relevance,
            limit: 10,
            offset: 0,
        })
        .collect()
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The API path of a search request.
fn search_path(request: &SearchRequest) -> String {
    let f = &request.filter;
    let mut path = format!(
        "/api/v1/search?limit={}&q={}",
        request.limit,
        encode(&request.query)
    );
    if let Some(plan) = &f.plan_code {
        path += &format!("&plan={}", encode(plan));
    }
    if let Some(doc_type) = &f.doc_type {
        path += &format!("&type={}", encode(doc_type));
    }
    if let Some(from) = f.received_from {
        path += &format!("&from={from}");
    }
    if let Some(to) = f.received_to {
        path += &format!("&to={to}");
    }
    path
}

/// What wrk measured.
#[derive(Debug, Default)]
struct Load {
    rps: f64,
    p50: f64,
    p99: f64,
    non_2xx: u64,
}

fn millis(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Some(v) = text.strip_suffix("us") {
        return v.parse::<f64>().ok().map(|v| v / 1000.0);
    }
    if let Some(v) = text.strip_suffix("ms") {
        return v.parse().ok();
    }
    text.strip_suffix('s')
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v * 1000.0)
}

/// Runs wrk with a Lua script that picks a random path from `paths` for each request.
fn wrk(
    base: &str,
    token: &str,
    paths: &[String],
    connections: u32,
    seconds: u64,
    dir: &Path,
) -> anyhow::Result<Load> {
    let list = dir.join("paths.txt");
    std::fs::write(&list, paths.join("\n") + "\n")?;
    let script = dir.join("paths.lua");
    std::fs::write(
        &script,
        format!(
            "local paths = {{}}\nfor line in io.lines(\"{}\") do paths[#paths + 1] = line end\n\
             math.randomseed(1)\n\
             request = function() return wrk.format(nil, paths[math.random(#paths)]) end\n",
            list.display()
        ),
    )?;
    let threads = connections.min(2);
    let out = Command::new("wrk")
        .args([
            "--latency",
            "-t",
            &threads.to_string(),
            "-c",
            &connections.to_string(),
        ])
        .args(["-d", &format!("{seconds}s"), "-s"])
        .arg(&script)
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(base)
        .output()
        .context("cannot run wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut load = Load::default();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => load.p50 = millis(v).unwrap_or(f64::NAN),
            ["99%", v] => load.p99 = millis(v).unwrap_or(f64::NAN),
            ["Requests/sec:", v] => load.rps = v.parse().unwrap_or(f64::NAN),
            ["Non-2xx", "or", "3xx", "responses:", v] => load.non_2xx = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    Ok(load)
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    let data = args.dir.join(format!("api-bench-{}", args.docs));
    let ids_file = data.join("bench-ids.txt");
    if !ids_file.exists() {
        if data.exists() {
            std::fs::remove_dir_all(&data)?;
        }
        let ids = fill(&data, &args.eakte, args.docs)?;
        let text: Vec<String> = ids.iter().map(ToString::to_string).collect();
        std::fs::write(&ids_file, text.join("\n") + "\n")?;
    }
    let ids: Vec<DokumentId> = std::fs::read_to_string(&ids_file)?
        .lines()
        .map(|l| l.parse())
        .collect::<Result<_, _>>()?;
    let requests = search_requests(args.docs, args.queries);

    // The library, in this process: the calls the handlers make, one at a time.
    let service = open(&data, &args.eakte)?;
    let who = clerk();
    let reads = ids.len().min(5000);
    let read_lib = library(reads, |i| {
        Ok(service.read_document(&who, ids[i * ids.len() / reads], false)?)
    })?;
    let search_lib = library(requests.len(), |i| Ok(service.search(&who, &requests[i])?))?;
    let (_, token) = service.create_token(
        &operator(),
        NewToken {
            user: "bench-clerk".into(),
            role: Role::Clerk,
            units: clerk_units(),
            clearance: Confidentiality::Vertraulich,
        },
    )?;
    service.close()?;

    // The server, with wrk on loopback.
    let mut server = Command::new(&args.eakte)
        .args(["--data"])
        .arg(&data)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("OMP_THREAD_LIMIT", "1")
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start eakte serve")?;
    let mut line = String::new();
    BufReader::new(server.stdout.take().context("stdout")?).read_line(&mut line)?;
    let api = line
        .trim()
        .strip_prefix("listening on ")
        .context("no address")?
        .to_owned();
    let base = api.trim_end_matches("/api/v1").to_owned();
    let scratch = tempfile::tempdir()?;
    let c = args.connections;
    let s = args.seconds;
    let trivial = wrk(
        &base,
        &token,
        &["/api/v1/healthz".to_owned()],
        c,
        s,
        scratch.path(),
    )?;
    let doc_paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/api/v1/documents/{id}"))
        .collect();
    let reads_api = wrk(&base, &token, &doc_paths, c, s, scratch.path())?;
    let search_paths: Vec<String> = requests.iter().map(search_path).collect();
    let search_api = wrk(&base, &token, &search_paths, c, s, scratch.path())?;
    let search_api_1 = wrk(&base, &token, &search_paths, 1, s, scratch.path())?;
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    server.wait()?;

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "api-bench: {} documents, {}; wrk {s} s per row",
        args.docs,
        eakte_benches::machine()
    )?;
    writeln!(
        out,
        "| what | connections | requests/s | p50 ms | p99 ms | non-2xx |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for (what, conns, load) in [
        ("GET /healthz (trivial)", c, &trivial),
        ("GET /documents/{id} (audited read)", c, &reads_api),
        ("GET /search", c, &search_api),
        ("GET /search", 1, &search_api_1),
    ] {
        writeln!(
            out,
            "| {what} | {conns} | {:.0} | {:.2} | {:.2} | {} |",
            load.rps, load.p50, load.p99, load.non_2xx
        )?;
    }
    writeln!(
        out,
        "| library read_document (sequential, {reads} calls) | — | {:.0} | {:.2} | {:.2} | — |",
        1000.0 / read_lib.0,
        read_lib.0,
        read_lib.1
    )?;
    writeln!(
        out,
        "| library search (sequential, {} queries) | — | {:.0} | {:.2} | {:.2} | — |",
        requests.len(),
        1000.0 / search_lib.0,
        search_lib.0,
        search_lib.1
    )?;
    Ok(())
}
