//! Retention and disposition benchmark: the due list of N (default 10^6) Akten — as the pure
//! evaluation of generated facts, and from a sled catalog as the service computes it — and the
//! destruction of 10,000 records out of N in each storage part (store, journal, index,
//! catalog): the time, and the bytes each part rewrites against the bytes it destroys. Every
//! part is measured by calling its public functions directly (filing 10^6 documents through
//! the service would take hours), each against a baseline measured in the same run.
//!
//! Run: `cargo run --release -p eakte-benches --bin disposition-bench -- [--records N]
//! [--destroy N] [--index-docs N] [--catalog-akten N] [--batch N] [--writers N] [--seed S]
//! [--today YYYY-MM-DD] [--dir DIR] [--parts eval,catalog,store,journal,index]`

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use eakte_benches::{machine, quantile, rng, text, time};
use eakte_catalog::{
    Akte, Approval, Batch, BatchItem, Catalog, Change, FilePlan, Hold, HoldScope, Tombstone,
};
use eakte_config::{IndexConfig, JournalConfig, StoreConfig};
use eakte_index::{IndexDoc, SearchIndex};
use eakte_journal::{Actor, Journal, NewEvent, Outcome, action};
use eakte_retention::{Action, FILE_CLOSED, FILE_CREATED, Facts, Rule, RuleSet, Status};
use eakte_store::{BlobId, BlobStore, FileStore, PurgeReport};
use eakte_types::{
    AkteId, AkteStatus, Aktenzeichen, BatchId, Confidentiality, DokumentId, HoldId, PlanCode,
};
use rand::Rng;
use rand::rngs::StdRng;

/// The demo file plan the catalog's Akten are filed under.
const PLAN_JSON: &[u8] = include_bytes!("../../../fixtures/plan/buergerbuero.json");

/// Timed passes of the in-memory evaluations; the median is reported.
const PASSES: usize = 3;

/// The storage parts and evaluations the bench can run.
const PARTS: &[&str] = &["eval", "catalog", "store", "journal", "index"];

/// The command line.
struct Args {
    records: u64,
    destroy: u64,
    index_docs: u64,
    catalog_akten: u64,
    batch: usize,
    writers: u64,
    seed: u64,
    today: NaiveDate,
    dir: PathBuf,
    parts: Vec<String>,
}

impl Args {
    fn runs(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

const USAGE: &str = "use --records N, --destroy N, --index-docs N, --catalog-akten N, --batch N, \
                     --writers N, --seed S, --today YYYY-MM-DD, --dir DIR, --parts LIST";

fn value<T: std::str::FromStr>(
    it: &mut impl Iterator<Item = String>,
    flag: &str,
) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    let raw = it.next().with_context(|| format!("{flag} needs a value"))?;
    raw.parse()
        .map_err(|e| anyhow::anyhow!("{flag} {raw}: {e}"))
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        records: 1_000_000,
        destroy: 10_000,
        index_docs: 0,
        catalog_akten: 0,
        batch: eakte_service::MAX_BATCH_AKTEN,
        writers: 64,
        seed: 1,
        today: NaiveDate::from_ymd_opt(2026, 12, 1).context("a valid day")?,
        dir: PathBuf::from("/var/tmp"),
        parts: PARTS.iter().map(|p| (*p).to_owned()).collect(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--records" => args.records = value(&mut it, &arg)?,
            "--destroy" => args.destroy = value(&mut it, &arg)?,
            "--index-docs" => args.index_docs = value(&mut it, &arg)?,
            "--catalog-akten" => args.catalog_akten = value(&mut it, &arg)?,
            "--batch" => args.batch = value(&mut it, &arg)?,
            "--writers" => args.writers = value(&mut it, &arg)?,
            "--seed" => args.seed = value(&mut it, &arg)?,
            "--today" => args.today = value(&mut it, &arg)?,
            "--dir" => args.dir = value(&mut it, &arg)?,
            "--parts" => {
                let list: String = value(&mut it, &arg)?;
                args.parts = list.split(',').map(str::to_owned).collect();
                if let Some(bad) = args.parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
                    anyhow::bail!("unknown part {bad}; parts are {}", PARTS.join(","));
                }
            }
            other => anyhow::bail!("unknown argument {other}; {USAGE}"),
        }
    }
    if args.index_docs == 0 {
        args.index_docs = args.records;
    }
    if args.catalog_akten == 0 {
        args.catalog_akten = args.records;
    }
    anyhow::ensure!(
        args.records > 0 && args.batch > 0 && args.writers > 0,
        "{USAGE}"
    );
    anyhow::ensure!(
        4 * args.destroy <= args.records.min(args.index_docs),
        "--destroy must be at most a quarter of --records and --index-docs (up to three disjoint sets are destroyed)"
    );
    Ok(args)
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

/// One line of the final table: what destroying records in one storage part cost.
struct Row {
    part: String,
    records: u64,
    destroyed: u64,
    /// Bytes of the part on disk before.
    part_bytes: u64,
    /// Bytes of the destroyed records (what had to go).
    bytes_destroyed: u64,
    /// Bytes written again to remove them.
    bytes_rewritten: u64,
    time: Duration,
    /// The same run's copy (with fsync) of the part's files: (bytes, time).
    copy: (u64, Duration),
}

/// A UUID-shaped id text from a number and a kind, the same in every run.
fn id_text(kind: u8, n: u64) -> String {
    format!("00000000-0000-4000-80{kind:02x}-{n:012x}")
}

fn akte_id(n: u64) -> anyhow::Result<AkteId> {
    Ok(id_text(1, n).parse()?)
}

fn dokument_id(n: u64) -> anyhow::Result<DokumentId> {
    Ok(id_text(3, n).parse()?)
}

/// A seeded generator for item `n` of stream `stream`, so that items do not depend on the
/// order threads produce them in.
fn item_rng(seed: u64, stream: u64, n: u64) -> StdRng {
    rng(seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(stream << 56)
        .wrapping_add(n))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// A day drawn evenly from `from..=to`.
fn day_between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = u64::try_from((to - from).num_days()).unwrap_or(0);
    from + Days::new(rng.random_range(0..=span))
}

/// A day up to `years` after `from`.
fn later(rng: &mut impl Rng, from: NaiveDate, years: u64) -> NaiveDate {
    from + Days::new(rng.random_range(0..=years * 365))
}

/// Bytes of every file below `dir` (0 when it cannot be read: the figures are for the table).
fn dir_bytes(dir: &Path) -> u64 {
    eakte_benches::dir_bytes(dir).unwrap_or(0)
}

/// Copies every file below `src` into `dst`, each fsynced: what writing the part's bytes
/// again costs on this disk (the baseline of a rewrite). Returns bytes and time; `dst` is
/// removed afterwards.
fn copy_synced(src: &Path, dst: &Path) -> anyhow::Result<(u64, Duration)> {
    fn copy_tree(src: &Path, dst: &Path) -> anyhow::Result<u64> {
        std::fs::create_dir_all(dst).with_context(|| format!("create {}", dst.display()))?;
        let mut bytes = 0;
        for entry in std::fs::read_dir(src).with_context(|| format!("list {}", src.display()))? {
            let entry = entry?;
            let to = dst.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                bytes += copy_tree(&entry.path(), &to)?;
            } else {
                bytes += std::fs::copy(entry.path(), &to)
                    .with_context(|| format!("copy {}", entry.path().display()))?;
                std::fs::File::open(&to)
                    .and_then(|f| f.sync_all())
                    .with_context(|| format!("fsync {}", to.display()))?;
            }
        }
        Ok(bytes)
    }
    let (bytes, elapsed) = time(|| copy_tree(src, dst));
    let bytes = bytes?;
    std::fs::remove_dir_all(dst).with_context(|| format!("remove {}", dst.display()))?;
    Ok((bytes, elapsed))
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The median of `PASSES` timed runs of `f`, with the last result.
fn median_of<T>(mut f: impl FnMut() -> T) -> (T, Duration) {
    let mut times = Vec::with_capacity(PASSES);
    let mut out = None;
    for _ in 0..PASSES {
        let (value, elapsed) = time(&mut f);
        times.push(elapsed);
        out = Some(value);
    }
    (out.expect("at least one pass"), quantile(&times, 0.5))
}

// ---------------------------------------------------------------------------------------------
// Part 1: the pure evaluation of generated facts.

/// One generated Akte's retention facts.
struct GenFacts {
    rule: usize,
    created: NaiveDate,
    closed_on: Option<NaiveDate>,
    events: BTreeMap<String, NaiveDate>,
    holds: Vec<String>,
}

/// Events a rule looks at, recorded with probability 3/4 each, up to 15 years after `from`.
fn rule_events(rng: &mut impl Rng, rule: &Rule, from: NaiveDate) -> BTreeMap<String, NaiveDate> {
    let mut events = BTreeMap::new();
    for name in rule.trigger.events.iter().chain(&rule.never_before) {
        if name != FILE_CLOSED && name != FILE_CREATED && rng.random_bool(0.75) {
            events.insert(name.clone(), later(rng, from, 15));
        }
    }
    events
}

/// `n` Akten's facts spread evenly over `rules`: created 1900–2030, 70 % closed within ten
/// years, the rule's events mostly recorded, 1 % under a hold.
fn generate_facts(seed: u64, rules: &[&Rule], n: u64) -> Vec<GenFacts> {
    let mut rng = rng(seed);
    (0..n)
        .map(|i| {
            let rule = (i % rules.len() as u64) as usize;
            let created = day_between(&mut rng, day(1900, 1, 1), day(2030, 12, 31));
            let closed_on = rng.random_bool(0.7).then(|| later(&mut rng, created, 10));
            let events = rule_events(&mut rng, rules[rule], created);
            let holds = if rng.random_bool(0.01) {
                vec![id_text(4, i)]
            } else {
                Vec::new()
            };
            GenFacts {
                rule,
                created,
                closed_on,
                events,
                holds,
            }
        })
        .collect()
}

/// Akten by status: permanent, waiting, pending, due, blocked.
type StatusCounts = [u64; 5];

fn status_slot(status: Status) -> usize {
    match status {
        Status::Permanent => 0,
        Status::Waiting => 1,
        Status::Pending => 2,
        Status::Due => 3,
        Status::Blocked => 4,
    }
}

fn evaluate_all(rules: &[&Rule], facts: &[GenFacts], today: NaiveDate) -> StatusCounts {
    let mut counts = [0u64; 5];
    for f in facts {
        let state = eakte_retention::evaluate(
            rules[f.rule],
            &Facts {
                created: f.created,
                closed_on: f.closed_on,
                events: &f.events,
            },
            &f.holds,
            today,
        );
        counts[status_slot(state.status)] += 1;
    }
    counts
}

/// Baseline: clone every Akte's facts (what a copy of the input costs).
fn clone_all(facts: &[GenFacts]) -> u64 {
    facts
        .iter()
        .map(|f| {
            let copy = (f.events.clone(), f.holds.clone(), f.created, f.closed_on);
            black_box(copy).0.len() as u64
        })
        .sum()
}

/// Baseline: one date comparison per Akte.
fn compare_all(facts: &[GenFacts], today: NaiveDate) -> u64 {
    facts
        .iter()
        .filter(|f| black_box(f.closed_on.unwrap_or(f.created)) < today)
        .count() as u64
}

fn bench_evaluation(args: &Args, rules: &RuleSet) -> anyhow::Result<()> {
    let rules: Vec<&Rule> = rules.rules().collect();
    let (facts, gen_time) = time(|| generate_facts(args.seed, &rules, args.records));
    println!(
        "\n## Due list, pure evaluation: {} Akten over {} shipped rules (generated in {})",
        facts.len(),
        rules.len(),
        secs(gen_time)
    );
    let (counts, eval) = median_of(|| evaluate_all(&rules, &facts, args.today));
    let (_, clone) = median_of(|| clone_all(&facts));
    let (_, compare) = median_of(|| compare_all(&facts, args.today));
    let per = |d: Duration| d.as_secs_f64() * 1e9 / facts.len() as f64;
    println!(
        "statuses on {}: permanent {}, waiting {}, pending {}, due {}, blocked {}",
        args.today, counts[0], counts[1], counts[2], counts[3], counts[4]
    );
    println!("| what (median of {PASSES}) | time | ns per Akte |");
    println!("|---|---|---|");
    println!(
        "| evaluate every Akte, count by status | {} | {:.0} |",
        secs(eval),
        per(eval)
    );
    println!(
        "| baseline: clone every Akte's facts | {} | {:.0} |",
        secs(clone),
        per(clone)
    );
    println!(
        "| baseline: one date comparison per Akte | {} | {:.1} |",
        secs(compare),
        per(compare)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Part 2: the due list from a sled catalog, destruction in it, and its compaction.

/// A leaf of the plan: where Akten are filed, and the rule it assigns.
struct Leaf {
    code: PlanCode,
    unit: String,
    rule: String,
}

fn plan_leaves(plan: &FilePlan) -> Vec<Leaf> {
    plan.units()
        .filter(|(_, u)| u.children.is_empty())
        .filter_map(|(_, u)| {
            Some(Leaf {
                code: u.code.clone(),
                unit: u.unit.clone(),
                rule: u.retention_rule.clone()?,
            })
        })
        .collect()
}

fn at_nine(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap_or_default())
}

/// Akte `i`: leaves in turn, years 2000–2026 in turn, running numbers from 1; created on a
/// day of its year up to `today`, with its rule's events mostly recorded. Also its close day
/// (70 %, up to eight years later, not after `today`).
fn generated_akte(
    i: u64,
    leaves: &[Leaf],
    rules: &RuleSet,
    today: NaiveDate,
    rng: &mut impl Rng,
) -> anyhow::Result<(Akte, Option<NaiveDate>)> {
    let leaf = &leaves[(i % leaves.len() as u64) as usize];
    let round = i / leaves.len() as u64;
    let year = 2000 + (round % 27) as i32;
    let number = u32::try_from(round / 27 + 1)?;
    let created = day_between(rng, day(year, 1, 1), day(year, 12, 31).min(today));
    let rule = rules
        .get(&leaf.rule)
        .with_context(|| format!("plan unit {} names unknown rule {}", leaf.code, leaf.rule))?;
    let mut domain_dates = rule_events(rng, rule, created);
    domain_dates.retain(|_, d| *d <= today);
    let closed_on = rng
        .random_bool(0.7)
        .then(|| later(rng, created, 8).min(today));
    let akte = Akte {
        id: akte_id(i)?,
        aktenzeichen: Aktenzeichen::new(leaf.code.clone(), number, u16::try_from(year)?)?,
        plan_code: leaf.code.clone(),
        title: format!("Akte {i}"),
        unit: leaf.unit.clone(),
        confidentiality: Confidentiality::Offen,
        status: AkteStatus::Open,
        created: at_nine(created),
        closed_on: None,
        domain_dates,
    };
    Ok((akte, closed_on))
}

/// Applies changes in journal order.
struct Applier<'a> {
    catalog: &'a Catalog,
    seq: u64,
}

impl Applier<'_> {
    fn apply(&mut self, change: &Change) -> anyhow::Result<()> {
        let applied = self
            .catalog
            .apply(self.seq, change)
            .with_context(|| format!("apply {} as seq {}", change.kind(), self.seq))?;
        anyhow::ensure!(applied, "seq {} was not applied", self.seq);
        self.seq += 1;
        Ok(())
    }
}

/// Fills the catalog: the plan, then `n` Akten, the closed ones closed, every 1000th held.
fn build_catalog(
    applier: &mut Applier<'_>,
    plan: &FilePlan,
    rules: &RuleSet,
    args: &Args,
) -> anyhow::Result<()> {
    applier.apply(&Change::PlanImported {
        blob: BlobId::from_bytes(*blake3::hash(PLAN_JSON).as_bytes()),
        plan: plan.clone(),
    })?;
    let leaves = plan_leaves(plan);
    let mut rng = rng(args.seed ^ 0xca7a_1065);
    for i in 0..args.catalog_akten {
        let (akte, closed_on) = generated_akte(i, &leaves, rules, args.today, &mut rng)?;
        let (id, created) = (akte.id, akte.created);
        applier.apply(&Change::AkteCreated { akte })?;
        if let Some(closed_on) = closed_on {
            applier.apply(&Change::AkteClosed { id, closed_on })?;
        }
        if i % 1000 == 7 {
            applier.apply(&Change::HoldSet {
                hold: Hold {
                    id: id_text(4, i).parse::<HoldId>()?,
                    scope: HoldScope::Akte { id },
                    reason: "Rechtsstreit anhängig".into(),
                    set_by: "rm1".into(),
                    set_at: created,
                    released: None,
                },
            })?;
        }
        if (i + 1) % 100_000 == 0 {
            eprintln!("catalog: {} Akten, {} changes", i + 1, applier.seq);
        }
    }
    applier.catalog.flush().context("flush the catalog")?;
    Ok(())
}

/// An Akte on the due list, as much as a disposition batch needs.
struct DueAkte {
    akte: AkteId,
    aktenzeichen: Aktenzeichen,
    plan_code: PlanCode,
    rule: String,
    action: Action,
    status: Status,
    due_on: Option<NaiveDate>,
    held: bool,
}

/// What computing the due list took, in its steps.
struct DueList {
    akten: usize,
    due: Vec<DueAkte>,
    load: Duration,
    views: Duration,
    evaluate_only: Duration,
}

/// The due list as the service's `due_views` computes it: every Akte from the catalog, its
/// plan unit's rule, its holds, its evaluation, its view (Aktenzeichen, plan code and unit as
/// text) and its batch; kept when due or blocked.
fn due_list(catalog: &Catalog, rules: &RuleSet, today: NaiveDate) -> anyhow::Result<DueList> {
    let (loaded, load) = time(|| -> anyhow::Result<_> {
        let plan = catalog.plan()?.context("the catalog has no plan")?;
        let holds = catalog.try_active_holds()?;
        let akten = catalog.akten()?;
        Ok((plan, holds, akten))
    });
    let (plan, holds, akten) = loaded?;
    let (due, views) = time(|| -> anyhow::Result<Vec<DueAkte>> {
        let mut due = Vec::new();
        for akte in &akten {
            if let Some(view) = due_view(catalog, akte, &plan, rules, &holds, today)? {
                due.push(view);
            }
        }
        Ok(due)
    });
    let due = due?;
    let (_, evaluate_only) = time(|| evaluate_loaded(&akten, &plan, rules, today));
    Ok(DueList {
        akten: akten.len(),
        due,
        load,
        views,
        evaluate_only,
    })
}

/// One Akte's view, as `Service::view_of` builds it; `None` unless due or blocked.
fn due_view(
    catalog: &Catalog,
    akte: &Akte,
    plan: &FilePlan,
    rules: &RuleSet,
    holds: &BTreeMap<AkteId, Vec<HoldId>>,
    today: NaiveDate,
) -> anyhow::Result<Option<DueAkte>> {
    let rule_id = plan
        .find(&akte.plan_code)
        .and_then(|u| u.retention_rule.clone());
    let held: Vec<HoldId> = holds.get(&akte.id).cloned().unwrap_or_default();
    let Some(rule) = rule_id.as_deref().and_then(|id| rules.get(id)) else {
        return Ok(None);
    };
    let facts = Facts {
        created: akte.created.date_naive(),
        closed_on: akte.closed_on,
        events: &akte.domain_dates,
    };
    let hold_ids: Vec<String> = held.iter().map(ToString::to_string).collect();
    let state = eakte_retention::evaluate(rule, &facts, &hold_ids, today);
    // The view's texts and its batch, as the service builds them for every Akte.
    black_box((
        akte.aktenzeichen.to_string(),
        akte.plan_code.to_string(),
        akte.unit.clone(),
    ));
    let batch = catalog.batch_of(akte.id)?;
    if !matches!(state.status, Status::Due | Status::Blocked) || batch.is_some() {
        return Ok(None);
    }
    Ok(Some(DueAkte {
        akte: akte.id,
        aktenzeichen: akte.aktenzeichen.clone(),
        plan_code: akte.plan_code.clone(),
        rule: state.rule,
        action: state.action,
        status: state.status,
        due_on: state.due_on,
        held: !held.is_empty(),
    }))
}

/// Baseline inside the catalog run: only the evaluation of the Akten already loaded.
fn evaluate_loaded(akten: &[Akte], plan: &FilePlan, rules: &RuleSet, today: NaiveDate) -> u64 {
    let mut due = 0;
    for akte in akten {
        let Some(rule) = plan
            .find(&akte.plan_code)
            .and_then(|u| u.retention_rule.as_deref())
            .and_then(|id| rules.get(id))
        else {
            continue;
        };
        let facts = Facts {
            created: akte.created.date_naive(),
            closed_on: akte.closed_on,
            events: &akte.domain_dates,
        };
        let state = eakte_retention::evaluate(rule, &facts, &[], today);
        due += u64::from(state.status == Status::Due);
    }
    due
}

fn print_due_list(label: &str, list: &DueList) {
    let due = list.due.iter().filter(|d| d.status == Status::Due).count();
    println!(
        "| {label} | {} | {} due, {} blocked | {} | {} | {} | {} |",
        list.akten,
        due,
        list.due.len() - due,
        secs(list.load),
        secs(list.views),
        secs(list.load + list.views),
        secs(list.evaluate_only),
    );
}

/// What destroying Akten in the catalog took.
struct CatalogDestruction {
    candidates: usize,
    akten: u64,
    bytes: u64,
    propose: Duration,
    destroy: Duration,
    slowest_batch: Duration,
}

/// Destroys `destroy` Akten that are due for destruction (not held), in batches of `batch`
/// (default: the service's `MAX_BATCH_AKTEN`): each batch proposed, approved by a second user,
/// then its Akten destroyed one change each, as the service's execution of a batch does.
fn destroy_in_catalog(
    applier: &mut Applier<'_>,
    due: &[DueAkte],
    args: &Args,
) -> anyhow::Result<CatalogDestruction> {
    let candidates: Vec<&DueAkte> = due
        .iter()
        .filter(|d| d.status == Status::Due && d.action == Action::Destroy && !d.held)
        .collect();
    anyhow::ensure!(
        candidates.len() as u64 >= args.destroy,
        "only {} Akten are due for destruction; fewer than --destroy {}",
        candidates.len(),
        args.destroy
    );
    let mut rng = rng(args.seed ^ 0xde57);
    let picked: Vec<&DueAkte> =
        rand::seq::index::sample(&mut rng, candidates.len(), args.destroy as usize)
            .into_iter()
            .map(|i| candidates[i])
            .collect();
    let mut done = CatalogDestruction {
        candidates: candidates.len(),
        akten: 0,
        bytes: 0,
        propose: Duration::ZERO,
        destroy: Duration::ZERO,
        slowest_batch: Duration::ZERO,
    };
    for (n, chunk) in picked.chunks(args.batch).enumerate() {
        for d in chunk {
            let akte = applier
                .catalog
                .akte(d.akte)?
                .context("a due Akte is gone")?;
            done.bytes += serde_json::to_vec(&akte)?.len() as u64;
        }
        let batch = batch_of(chunk, n as u64, args.today)?;
        let (proposed, propose) = time(|| propose_and_approve(applier, &batch));
        proposed?;
        let (destroyed, destroy) = time(|| destroy_batch(applier, &batch, chunk));
        destroyed?;
        done.akten += chunk.len() as u64;
        done.propose += propose;
        done.destroy += destroy;
        done.slowest_batch = done.slowest_batch.max(destroy);
    }
    applier.catalog.flush().context("flush the catalog")?;
    Ok(done)
}

fn batch_of(chunk: &[&DueAkte], n: u64, today: NaiveDate) -> anyhow::Result<Batch> {
    let items = chunk
        .iter()
        .map(|d| {
            Ok(BatchItem {
                akte: d.akte,
                aktenzeichen: d.aktenzeichen.clone(),
                rule: d.rule.clone(),
                action: Action::Destroy.as_str().to_owned(),
                if_declined: None,
                due_on: d.due_on.context("a due Akte without a due day")?,
                appraisal: None,
                archived: None,
                destroyed_at: None,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Batch {
        id: id_text(5, n).parse::<BatchId>()?,
        as_of: today,
        proposed: Approval {
            by: "rm1".into(),
            at: at_nine(today),
        },
        approved: None,
        items,
        appraisal_blob: None,
        transfer_sha256: None,
        receipt_blob: None,
    })
}

fn propose_and_approve(applier: &mut Applier<'_>, batch: &Batch) -> anyhow::Result<()> {
    applier.apply(&Change::DispositionProposed {
        batch: batch.clone(),
    })?;
    applier.apply(&Change::DispositionApproved {
        id: batch.id,
        approval: Approval {
            by: "rm2".into(),
            at: at_nine(batch.as_of),
        },
    })
}

fn destroy_batch(
    applier: &mut Applier<'_>,
    batch: &Batch,
    chunk: &[&DueAkte],
) -> anyhow::Result<()> {
    for d in chunk {
        applier.apply(&Change::AkteDestroyed {
            tombstone: Tombstone {
                akte: d.akte,
                aktenzeichen: d.aktenzeichen.clone(),
                plan_code: d.plan_code.clone(),
                batch: batch.id,
                rule: d.rule.clone(),
                outcome: "destroyed".into(),
                proposed_by: "rm1".into(),
                approved_by: "rm2".into(),
                destroyed_at: at_nine(batch.as_of),
                vorgaenge: Vec::new(),
                documents: Vec::new(),
            },
        })?;
    }
    Ok(())
}

fn bench_catalog(args: &Args, rules: &RuleSet, root: &Path) -> anyhow::Result<Row> {
    let dir = root.join("catalog");
    let plan = FilePlan::from_json(PLAN_JSON).context("the demo plan")?;
    println!(
        "\n## Due list from a sled catalog of {} Akten ({} plan leaves, years 2000–2026)",
        args.catalog_akten,
        plan_leaves(&plan).len()
    );
    let catalog = Catalog::open(&dir).context("open the catalog")?;
    let mut applier = Applier {
        catalog: &catalog,
        seq: 0,
    };
    let (built, build) = time(|| build_catalog(&mut applier, &plan, rules, args));
    built?;
    println!(
        "built: {} changes in {} ({:.0} changes/s), {} on disk",
        applier.seq,
        secs(build),
        applier.seq as f64 / build.as_secs_f64(),
        mb(dir_bytes(&dir))
    );
    drop(catalog);
    let catalog = Catalog::open(&dir).context("reopen the catalog")?;
    println!(
        "| pass | Akten | on the list | load (plan, holds, akten()) | views (evaluate, batch_of, texts) | due list total | baseline: evaluation only of the loaded Akten |"
    );
    println!("|---|---|---|---|---|---|---|");
    let first = due_list(&catalog, rules, args.today)?;
    print_due_list("first after reopening", &first);
    let second = due_list(&catalog, rules, args.today)?;
    print_due_list("second", &second);

    let mut applier = Applier {
        catalog: &catalog,
        seq: catalog.next_seq(),
    };
    let destroyed = destroy_in_catalog(&mut applier, &second.due, args)?;
    println!(
        "destroyed {} of {} Akten due for destruction (not held) in batches of {}: propose+approve {}, destroy {} ({:.2} ms per Akte; slowest batch {})",
        destroyed.akten,
        destroyed.candidates,
        args.batch,
        secs(destroyed.propose),
        secs(destroyed.destroy),
        destroyed.destroy.as_secs_f64() * 1e3 / destroyed.akten as f64,
        secs(destroyed.slowest_batch)
    );
    drop(catalog);
    let copy = copy_synced(&dir, &root.join("catalog-copy"))?;
    let (report, compact) = time(|| Catalog::compact(&dir));
    let report = report.context("compact the catalog")?;
    println!(
        "compaction: {} before, {} after, {}",
        mb(report.bytes_before),
        mb(report.bytes_after),
        secs(compact)
    );
    Ok(Row {
        part: "catalog (compaction)".into(),
        records: args.catalog_akten,
        destroyed: destroyed.akten,
        part_bytes: report.bytes_before,
        bytes_destroyed: destroyed.bytes,
        bytes_rewritten: report.bytes_after,
        time: compact,
        copy,
    })
}

// ---------------------------------------------------------------------------------------------
// Part 3: the blob store.

/// Runs `f(i)` for every `i` in `0..n` on `threads` threads (taking numbers in order from a
/// shared counter); results by `i`.
fn parallel<T: Send>(
    n: u64,
    threads: u64,
    f: impl Fn(u64) -> anyhow::Result<T> + Sync,
) -> anyhow::Result<Vec<T>> {
    let next = AtomicU64::new(0);
    let out: Mutex<Vec<(u64, T)>> = Mutex::new(Vec::with_capacity(n as usize));
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        mine.push((i, f(i)?));
                    }
                    out.lock()
                        .map_err(|_| anyhow::anyhow!("a worker panicked"))?
                        .extend(mine);
                    Ok(())
                })
            })
            .collect();
        for handle in handles {
            handle
                .join()
                .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
        }
        Ok(())
    })?;
    let mut out = out
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a worker panicked"))?;
    out.sort_unstable_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

/// Blob `i`: 2–8 KiB of German administrative text.
fn blob_bytes(seed: u64, i: u64) -> Vec<u8> {
    let mut rng = item_rng(seed, 1, i);
    let len = rng.random_range(2048..=8192);
    text(&mut rng, len)
}

/// The sets of record numbers destroyed: `destroy` consecutive numbers from the middle and
/// from the first quarter (clustered), and `destroy` other numbers drawn at random (spread).
struct DestroySets {
    middle: Vec<u64>,
    quarter: Vec<u64>,
    spread: Vec<u64>,
}

fn destroy_sets(seed: u64, n: u64, destroy: u64) -> DestroySets {
    let run = |start: u64| start..start + destroy;
    let (middle, quarter) = (run(n / 2 - destroy / 2), run(n / 4 - destroy / 2));
    let mut rng = rng(seed ^ 0x5e7);
    let mut spread = BTreeSet::new();
    while (spread.len() as u64) < destroy {
        let i = rng.random_range(0..n);
        if !middle.contains(&i) && !quarter.contains(&i) {
            spread.insert(i);
        }
    }
    DestroySets {
        middle: middle.collect(),
        quarter: quarter.collect(),
        spread: spread.into_iter().collect(),
    }
}

fn store_purge_row(
    label: &str,
    records: u64,
    report: &PurgeReport,
    destroyed_bytes: u64,
    part_bytes: u64,
    elapsed: Duration,
    copy: (u64, Duration),
) -> Row {
    println!(
        "purge {label}: {} records removed, {} segments rewritten, {} before, {} rewritten, {} removed (records {}), {}",
        report.records_removed,
        report.segments_rewritten,
        mb(report.bytes_before),
        mb(report.bytes_rewritten),
        mb(report.bytes_removed()),
        mb(destroyed_bytes),
        secs(elapsed)
    );
    Row {
        part: format!("store, {label}"),
        records,
        destroyed: report.records_removed,
        part_bytes,
        bytes_destroyed: destroyed_bytes,
        bytes_rewritten: report.bytes_rewritten,
        time: elapsed,
        copy,
    }
}

fn bench_store(args: &Args, root: &Path) -> anyhow::Result<Vec<Row>> {
    let dir = root.join("store");
    println!(
        "\n## Store: {} blobs of 2–8 KiB text, {} writers",
        args.records, args.writers
    );
    let store = FileStore::open(&dir, &StoreConfig::default()).context("open the store")?;
    let (ids, fill) = time(|| {
        parallel(args.records, args.writers, |i| {
            Ok(store.put(&mut &blob_bytes(args.seed, i)[..])?.id)
        })
    });
    let ids = ids?;
    let stats = store.stats()?;
    println!(
        "filled in {} ({:.0} puts/s): {} distinct blobs, {} logical, {} in {} segments",
        secs(fill),
        args.records as f64 / fill.as_secs_f64(),
        stats.blobs,
        mb(stats.logical_bytes),
        mb(stats.stored_bytes),
        stats.segments
    );
    let DestroySets {
        middle: clustered,
        spread,
        ..
    } = destroy_sets(args.seed, args.records, args.destroy);
    let record_bytes = |set: &[u64]| -> anyhow::Result<u64> {
        set.iter()
            .map(|&i| Ok(store.meta(&ids[i as usize])?.stored_len))
            .sum()
    };
    let (clustered_bytes, spread_bytes) = (record_bytes(&clustered)?, record_bytes(&spread)?);
    drop(store);
    let copy = copy_synced(&dir, &root.join("store-copy"))?;
    println!(
        "baseline: copy of the store's files with fsync: {} in {}",
        mb(copy.0),
        secs(copy.1)
    );
    let mut rows = Vec::new();
    for (label, set, bytes) in [
        ("clustered", &clustered, clustered_bytes),
        ("spread", &spread, spread_bytes),
    ] {
        let part_bytes = dir_bytes(&dir);
        let doomed: BTreeSet<BlobId> = set.iter().map(|&i| ids[i as usize]).collect();
        let (report, elapsed) = time(|| eakte_store::purge_blobs(&dir, &doomed));
        let report = report.with_context(|| format!("purge the {label} blobs"))?;
        rows.push(store_purge_row(
            label,
            args.records,
            &report,
            bytes,
            part_bytes,
            elapsed,
            copy,
        ));
    }
    let store = FileStore::open(&dir, &StoreConfig::default()).context("reopen the store")?;
    println!("after both purges: {} blobs", store.stats()?.blobs);
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Part 4: the journal.

/// Journal entry `i`: a document filed, naming document `i`, with a personal payload.
fn journal_event(i: u64) -> NewEvent {
    const NAMES: &[&str] = &[
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
    ];
    const STREETS: &[&str] = &["Hauptstraße", "Schulstraße", "Gartenweg", "Bahnhofstraße"];
    let name = NAMES[(i % NAMES.len() as u64) as usize];
    let street = STREETS[(i / 7 % STREETS.len() as u64) as usize];
    NewEvent::new(
        Actor {
            user: format!("clerk{}", i % 50),
            role: "clerk".into(),
            unit: Some("33 Bürgeramt".into()),
            client: Some("10.0.0.7".into()),
        },
        action::DOCUMENT_FILED,
        Outcome::Ok,
    )
    .object("document", id_text(3, i))
    .personal("original_name", format!("Antrag {name} {i}.pdf"))
    .personal("sender", format!("{name}, {street} {}", i % 120 + 1))
}

fn open_and_close(dir: &Path) -> anyhow::Result<()> {
    let journal = Journal::open(dir, &JournalConfig::default()).context("open the journal")?;
    journal.close().context("close the journal")?;
    Ok(())
}

/// Erases the payloads of the entries naming the documents `set`.
fn erase_row(
    args: &Args,
    dir: &Path,
    label: &str,
    set: &[u64],
    copy: (u64, Duration),
) -> anyhow::Result<Row> {
    let part_bytes = dir_bytes(dir);
    let objects: BTreeSet<String> = set.iter().map(|&i| id_text(3, i)).collect();
    let (report, elapsed) = time(|| eakte_journal::erase_payloads(dir, &objects));
    let report = report.with_context(|| format!("erase the {label} payloads"))?;
    let removed = report.bytes_before.saturating_sub(report.bytes_rewritten);
    println!(
        "erase {label}: {} payloads erased, {} segments rewritten, {} before, {} rewritten, {} removed, {}",
        report.payloads_erased,
        report.segments_rewritten,
        mb(report.bytes_before),
        mb(report.bytes_rewritten),
        mb(removed),
        secs(elapsed)
    );
    Ok(Row {
        part: format!("journal payloads, {label}"),
        records: args.records,
        destroyed: report.payloads_erased,
        part_bytes,
        bytes_destroyed: removed,
        bytes_rewritten: report.bytes_rewritten,
        time: elapsed,
        copy,
    })
}

fn bench_journal(args: &Args, root: &Path) -> anyhow::Result<Vec<Row>> {
    let dir = root.join("journal");
    println!(
        "\n## Journal: {} entries, each naming one document with a personal payload, {} writers",
        args.records, args.writers
    );
    let journal = Journal::open(&dir, &JournalConfig::default()).context("open the journal")?;
    let (filled, fill) = time(|| {
        parallel(args.records, args.writers, |i| {
            journal.append(journal_event(i))?;
            Ok(())
        })
    });
    filled?;
    journal.close().context("close the journal")?;
    println!(
        "filled in {} ({:.0} entries/s), {} on disk",
        secs(fill),
        args.records as f64 / fill.as_secs_f64(),
        mb(dir_bytes(&dir))
    );
    let copy = copy_synced(&dir, &root.join("journal-copy"))?;
    println!(
        "baseline: copy of the journal's files with fsync: {} in {}",
        mb(copy.0),
        secs(copy.1)
    );
    let sets = destroy_sets(args.seed, args.records, args.destroy);
    let mut rows = Vec::new();
    // Segment summaries are written when a journal is opened, for the segments sealed before;
    // erasure uses them to skip segments, and deletes those of the segments it rewrites. A
    // journal just filled and closed has none.
    rows.push(erase_row(
        args,
        &dir,
        "clustered, no summaries",
        &sets.quarter,
        copy,
    )?);
    for (label, set) in [
        ("clustered, summaries", &sets.middle),
        ("spread, summaries", &sets.spread),
    ] {
        let (opened, open) = time(|| open_and_close(&dir));
        opened?;
        println!(
            "open and close (sealed segments without a summary read in full, summaries written): {}",
            secs(open)
        );
        rows.push(erase_row(args, &dir, label, set, copy)?);
    }
    let (journal, open) = time(|| Journal::open(&dir, &JournalConfig::default()));
    let journal = journal.context("reopen the journal after erasure")?;
    println!(
        "open after erasure ({} entries; rewritten segments read in full): {}",
        journal.size(),
        secs(open)
    );
    journal.close()?;
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Part 5: the full-text index.

/// Index unit `i`: one small document (one page of 300–1,200 bytes of text).
fn index_doc(seed: u64, i: u64) -> anyhow::Result<IndexDoc> {
    let mut rng = item_rng(seed, 2, i);
    let len = rng.random_range(300..=1200);
    let page = String::from_utf8_lossy(&text(&mut rng, len)).into_owned();
    let year = 2000 + (i % 27) as u16;
    let received = day(i32::from(year), 1, 1) + Days::new(i % 365);
    Ok(IndexDoc {
        document_id: dokument_id(i)?,
        version: 1,
        aktenzeichen: Some(Aktenzeichen::new(
            "33.10".parse()?,
            u32::try_from(i / 27 + 1)?,
            year,
        )?),
        plan_code: Some("33.10".parse()?),
        title: format!("Antrag {i}"),
        doc_type: Some("Antrag".into()),
        received: Some(received),
        filed: at_nine(received),
        unit: Some("33 Bürgeramt".into()),
        confidentiality: Confidentiality::Offen,
        akte_status: Some(AkteStatus::Open),
        language: Some("deu".into()),
        pages: vec![page],
    })
}

fn bench_index(args: &Args, root: &Path) -> anyhow::Result<Row> {
    let dir = root.join("index");
    let n = args.index_docs;
    println!("\n## Index: {n} documents of one 300–1,200 byte page, bulk load, one merged segment");
    let index = SearchIndex::open_bulk(&dir, &IndexConfig::default()).context("open the index")?;
    let (text_bytes, fill) = time(|| {
        parallel(n, 2, |i| {
            let doc = index_doc(args.seed, i)?;
            index.add_new(&doc)?;
            Ok(doc.pages[0].len() as u64)
        })
    });
    let text_bytes = text_bytes?;
    let (merged, merge) = time(|| index.force_merge());
    merged.context("merge the index")?;
    let before = index.index_bytes();
    println!(
        "added in {} ({:.0} docs/s), merged in {}: {} docs, {} segment(s), {} (text {})",
        secs(fill),
        n as f64 / fill.as_secs_f64(),
        secs(merge),
        index.num_docs(),
        index.segment_count(),
        mb(before),
        mb(text_bytes.iter().sum())
    );
    let copy = copy_synced(&dir, &root.join("index-copy"))?;
    println!(
        "baseline: copy of the index's files with fsync: {} in {}",
        mb(copy.0),
        secs(copy.1)
    );
    let spread = destroy_sets(args.seed, n, args.destroy).spread;
    let destroyed_text: u64 = spread.iter().map(|&i| text_bytes[i as usize]).sum();
    for &i in &spread {
        index.delete_document(dokument_id(i)?)?;
    }
    let (rewritten, purge) = time(|| index.purge_deleted());
    let rewritten = rewritten.context("purge the deleted documents")?;
    let after = index.index_bytes();
    println!(
        "purge of {} spread documents (their text {}): {} rewritten, {} → {} ({} removed), {} docs left, {}",
        spread.len(),
        mb(destroyed_text),
        mb(rewritten),
        mb(before),
        mb(after),
        mb(before.saturating_sub(after)),
        index.num_docs(),
        secs(purge)
    );
    index.close().context("close the index")?;
    Ok(Row {
        part: "index, spread".into(),
        records: n,
        destroyed: spread.len() as u64,
        part_bytes: before,
        bytes_destroyed: before.saturating_sub(after),
        bytes_rewritten: rewritten,
        time: purge,
        copy,
    })
}

// ---------------------------------------------------------------------------------------------

fn print_rows(rows: &[Row]) {
    println!(
        "\n## Destroying records: bytes rewritten against bytes destroyed\n\n| part | records | destroyed | part size | bytes destroyed | bytes rewritten | rewritten / destroyed | time | baseline: copy of the part with fsync |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.0} | {} | {} in {} |",
            r.part,
            r.records,
            r.destroyed,
            mb(r.part_bytes),
            mb(r.bytes_destroyed),
            mb(r.bytes_rewritten),
            r.bytes_rewritten as f64 / r.bytes_destroyed.max(1) as f64,
            secs(r.time),
            mb(r.copy.0),
            secs(r.copy.1)
        );
    }
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    std::fs::create_dir_all(&args.dir).with_context(|| format!("create {}", args.dir.display()))?;
    let tmp = tempfile::tempdir_in(&args.dir).context("a scratch directory")?;
    let root = tmp.path();
    println!(
        "command: {}",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    println!("machine: {}", machine());
    println!(
        "directory: {}; today: {}; seed {}; started {}",
        root.display(),
        args.today,
        args.seed,
        Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let rules = eakte_retention::shipped_rules().context("the shipped rules")?;
    let mut rows = Vec::new();
    if args.runs("eval") {
        bench_evaluation(&args, &rules)?;
    }
    if args.runs("catalog") {
        rows.push(bench_catalog(&args, &rules, root)?);
    }
    if args.runs("store") {
        rows.extend(bench_store(&args, root)?);
    }
    if args.runs("journal") {
        rows.extend(bench_journal(&args, root)?);
    }
    if args.runs("index") {
        rows.push(bench_index(&args, root)?);
    }
    print_rows(&rows);
    Ok(())
}
