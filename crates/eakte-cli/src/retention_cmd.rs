//! `eakte retention …`, `eakte hold …`, `eakte disposition …` and `eakte xdomea …`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use eakte_catalog::{Batch, Hold, HoldScope};
use eakte_retention::{Blocker, Rule, Start};
use eakte_service::{HoldTarget, Principal, RetentionView, Role, Service};
use eakte_types::{BatchId, Confidentiality, HoldId};
use serde_json::json;

use crate::cli::{DispositionCommand, Failure, HoldCommand, RetentionCommand, XdomeaCommand};
use crate::journal_use::{cli_actor, cli_principal};
use crate::records_cmd::{finish, parse_az};
use crate::service_use::{self, bad_argument, parse_date};

/// The records manager a `--by USER` names, acting at this terminal: the journal records the
/// named user and, as the client, the terminal's login.
fn records_manager(by: &str) -> Result<Principal, Failure> {
    let user = by.trim();
    if user.is_empty() {
        return Err(bad_argument(
            "--by needs the records manager's user name".into(),
        ));
    }
    let terminal = cli_actor();
    Ok(Principal {
        user: user.to_owned(),
        role: Role::RecordsManager,
        units: Vec::new(),
        clearance: Confidentiality::Vertraulich,
        client: Some(format!(
            "{} as {}",
            terminal.client.unwrap_or_default(),
            terminal.user
        )),
    })
}

fn day_or_today(at: Option<String>) -> Result<NaiveDate, Failure> {
    at.map(|d| parse_date("--at", &d))
        .transpose()
        .map(|d| d.unwrap_or_else(eakte_service::office_today))
}

fn parse_batch(text: &str) -> Result<BatchId, Failure> {
    text.parse()
        .map_err(|_| bad_argument(format!("{text:?} is not a batch id (a UUID)")))
}

fn stdout_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).context("stdout")?;
    writeln!(out).context("stdout")?;
    Ok(())
}

/// `eakte retention rules|events|adopt|show|due`.
pub fn retention(data: &Path, command: RetentionCommand) -> Result<ExitCode, Failure> {
    match command {
        RetentionCommand::Rules { json } => {
            let service = service_use::open(data)?;
            let rules = service.retention_rules(&cli_principal());
            let rules = finish(service, rules)?;
            if json {
                let list: Vec<_> = rules
                    .rules()
                    .map(|r| json!({"rule": r, "source": rules.source_of(&r.id)}))
                    .collect();
                stdout_json(&list)?;
            } else {
                for rule in rules.rules() {
                    print_rule(rule);
                }
            }
        }
        RetentionCommand::Events => {
            for event in eakte_retention::EVENTS {
                let how = if event.derived {
                    "derived from the Akte"
                } else {
                    "eakte akte event"
                };
                println!("{:<24} {:<48} {how}", event.name, event.title);
            }
        }
        RetentionCommand::Adopt { dir } => {
            // Read here: the data directory keeps the files as they were, by their names.
            let files =
                eakte_retention::read_rule_files(&dir).map_err(|e| bad_argument(e.to_string()))?;
            let service = service_use::open(data)?;
            let adopted = service.adopt_rules(&cli_principal(), &files);
            let count = finish(service, adopted)?;
            println!("adopted {count} retention rules from {}", dir.display());
        }
        RetentionCommand::Show {
            aktenzeichen,
            at,
            json,
        } => {
            let az = parse_az(&aktenzeichen)?;
            let day = day_or_today(at)?;
            let service = service_use::open(data)?;
            let shown = show_retention(&service, &az.into(), day, json);
            finish(service, shown)?;
        }
        RetentionCommand::Due { at, json } => {
            let day = day_or_today(at)?;
            let service = service_use::open(data)?;
            let due = service.retention_due(&cli_principal(), day);
            let due = finish(service, due)?;
            if json {
                stdout_json(&json!({"day": day, "due": due}))?;
            } else if due.is_empty() {
                println!("nothing is due on {day}");
            } else {
                for view in &due {
                    print_due_line(view);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_rule(rule: &Rule) {
    let start = match rule.trigger.start {
        Start::Event => "at the event",
        Start::EndOfYear => "at the end of the event's year",
    };
    println!(
        "{}  [{}; archival value {}]",
        rule.id,
        rule.confidence.as_str(),
        rule.archival_value.as_str()
    );
    println!("  {}", rule.title);
    println!("  legal basis: {}", rule.legal_basis);
    println!("  starts {start}: {}", rule.trigger.events.join(" or "));
    if !rule.never_before.is_empty() {
        println!("  never before: {}", rule.never_before.join(", "));
    }
    for phase in &rule.phases {
        let mut length = Vec::new();
        if let Some(p) = phase.period {
            length.push(format!("after {p}"));
        }
        if let Some(p) = phase.at_least {
            length.push(format!("at least {p}"));
        }
        if let Some(p) = phase.at_most {
            length.push(format!("at most {p}"));
        }
        let declined = match phase.if_declined {
            Some(eakte_retention::Declined::Keep) => " (kept if declined)",
            Some(eakte_retention::Declined::Destroy) => " (destroyed if declined)",
            None => "",
        };
        println!(
            "  → {}{declined} {}",
            phase.action.as_str(),
            length.join(", ")
        );
    }
}

fn blocker_text(blocker: &Blocker) -> String {
    match blocker {
        Blocker::Trigger { events } => format!("waiting for {}", events.join(" or ")),
        Blocker::NeverBefore { event } => format!("never before {event}"),
        Blocker::Hold { id } => format!("hold {id}"),
    }
}

fn print_due_line(view: &RetentionView) {
    let Some(state) = &view.state else { return };
    let blockers: Vec<String> = state.blockers.iter().map(blocker_text).collect();
    println!(
        "{:<20} {:<28} {:<17} due {}  {}{}{}",
        view.aktenzeichen,
        state.rule,
        state.action.as_str(),
        state
            .due_on
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into()),
        state.status.as_str(),
        if blockers.is_empty() {
            String::new()
        } else {
            format!(" ({})", blockers.join("; "))
        },
        view.batch
            .map(|b| format!(" [batch {b}]"))
            .unwrap_or_default(),
    );
}

fn show_retention(
    service: &Service,
    key: &eakte_service::AkteKey,
    day: NaiveDate,
    as_json: bool,
) -> Result<(), eakte_service::ServiceError> {
    let view = match service.retention_of(&cli_principal(), key, day) {
        Ok(view) => view,
        // A destroyed Akte has its tombstone instead.
        Err(eakte_service::ServiceError::NotFound { .. }) => {
            let tombstone = service.tombstone(&cli_principal(), key)?;
            if as_json {
                println!("{}", json!({"day": day, "tombstone": tombstone}));
            } else {
                println!("Aktenzeichen     {}", tombstone.aktenzeichen);
                println!(
                    "{}        {} (batch {}, rule {}, proposed by {}, approved by {})",
                    tombstone.outcome,
                    tombstone.destroyed_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    tombstone.batch,
                    tombstone.rule,
                    tombstone.proposed_by,
                    tombstone.approved_by
                );
                println!("documents        {}", tombstone.documents.len());
            }
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if as_json {
        println!("{}", json!({"day": day, "retention": view}));
        return Ok(());
    }
    println!("Aktenzeichen     {}", view.aktenzeichen);
    println!("plan code        {}", view.plan_code);
    let Some(state) = &view.state else {
        println!("rule             none (the plan unit assigns no rule: nothing is ever due)");
        return Ok(());
    };
    println!("rule             {}", state.rule);
    match &state.trigger {
        Some((event, date)) => println!("trigger          {event} on {date}"),
        None => println!("trigger          not yet"),
    }
    if let Some(from) = state.restricted_from {
        println!("restricted from  {from}");
    }
    let declined = match state.if_declined {
        Some(eakte_retention::Declined::Keep) => " (kept if the archive declines)",
        Some(eakte_retention::Declined::Destroy) => " (destroyed if the archive declines)",
        None => "",
    };
    println!("end action       {}{declined}", state.action.as_str());
    println!(
        "due on           {}",
        state
            .due_on
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into())
    );
    if let Some(latest) = state.latest_on {
        println!(
            "latest by        {latest}{}",
            if state.overdue { " (overdue)" } else { "" }
        );
    }
    println!("status on {day}  {}", state.status.as_str());
    for blocker in &state.blockers {
        println!("blocked by       {}", blocker_text(blocker));
    }
    if let Some(batch) = view.batch {
        println!("batch            {batch}");
    }
    Ok(())
}

/// `eakte hold set|release|list`.
pub fn hold(data: &Path, command: HoldCommand) -> Result<ExitCode, Failure> {
    match command {
        HoldCommand::Set {
            akte,
            vorgang,
            document,
            query,
            reason,
            by,
        } => {
            let who = records_manager(&by)?;
            let target = match (akte, vorgang, document, query) {
                (Some(az), _, _, _) => HoldTarget::Akte(parse_az(&az)?.into()),
                (_, Some(id), _, _) => HoldTarget::Vorgang(
                    id.parse()
                        .map_err(|_| bad_argument(format!("{id:?} is not a Vorgang id")))?,
                ),
                (_, _, Some(id), _) => HoldTarget::Dokument(
                    id.parse()
                        .map_err(|_| bad_argument(format!("{id:?} is not a document id")))?,
                ),
                (_, _, _, Some(q)) => HoldTarget::Query(q),
                _ => return Err(bad_argument("name what the hold covers".into())),
            };
            let service = service_use::open(data)?;
            let hold = service.set_hold(&who, &target, &reason);
            let hold = finish(service, hold)?;
            println!("{}", hold.id);
        }
        HoldCommand::Release { id, by } => {
            let who = records_manager(&by)?;
            let id: HoldId = id
                .parse()
                .map_err(|_| bad_argument(format!("{id:?} is not a hold id")))?;
            let service = service_use::open(data)?;
            let hold = service.release_hold(&who, id);
            let hold = finish(service, hold)?;
            println!("hold {} released", hold.id);
        }
        HoldCommand::List { json } => {
            let service = service_use::open(data)?;
            let holds = service.holds(&cli_principal());
            let holds = finish(service, holds)?;
            if json {
                stdout_json(&holds)?;
            } else {
                for hold in &holds {
                    print_hold(hold);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_hold(hold: &Hold) {
    let scope = match &hold.scope {
        HoldScope::Akte { id } => format!("Akte {id}"),
        HoldScope::Vorgang { id } => format!("Vorgang {id}"),
        HoldScope::Dokument { id } => format!("document {id}"),
        HoldScope::Query { query, documents } => {
            format!("query {query:?} ({} documents)", documents.len())
        }
    };
    let state = match &hold.released {
        Some(release) => format!(
            "released by {} {}",
            release.by,
            release.at.format("%Y-%m-%d")
        ),
        None => "active".into(),
    };
    println!(
        "{}  {state:<28}  {scope}  — {} (set by {} {})",
        hold.id,
        hold.reason,
        hold.set_by,
        hold.set_at.format("%Y-%m-%d")
    );
}

/// `eakte disposition propose|approve|execute|list|show`.
pub fn disposition(data: &Path, command: DispositionCommand) -> Result<ExitCode, Failure> {
    match command {
        DispositionCommand::Propose { by, json } => {
            let who = records_manager(&by)?;
            let service = service_use::open(data)?;
            let batch = service.propose_disposition(&who);
            let batch = finish(service, batch)?;
            if json {
                stdout_json(&batch)?;
            } else {
                println!("{}", batch.id);
                print_batch(&batch);
            }
        }
        DispositionCommand::Approve { batch, by } => {
            let who = records_manager(&by)?;
            let id = parse_batch(&batch)?;
            let service = service_use::open(data)?;
            let batch = service.approve_disposition(&who, id);
            let batch = finish(service, batch)?;
            println!("batch {} approved by {}", batch.id, who.user);
        }
        DispositionCommand::Execute { batch, by } => {
            let id = parse_batch(&batch)?;
            let service = service_use::open(data)?;
            let who = match by {
                Some(by) => records_manager(&by)?,
                None => {
                    let approver = service
                        .disposition(&cli_principal(), id)
                        .map(|b| b.approved.map(|a| a.by));
                    match approver {
                        Ok(Some(user)) => records_manager(&user)?,
                        Ok(None) => {
                            let _ = service.close();
                            return Err(bad_argument(format!(
                                "batch {id} is not approved yet: eakte disposition approve {id} --by USER"
                            )));
                        }
                        Err(e) => {
                            let _ = service.close();
                            return Err(e.into());
                        }
                    }
                }
            };
            let report = service.destroy_approved(&who, id);
            let report = finish(service, report)?;
            for tombstone in &report.destroyed {
                println!(
                    "{}  {}  ({} documents)",
                    tombstone.aktenzeichen,
                    tombstone.outcome,
                    tombstone.documents.len()
                );
            }
            for (akte, why) in &report.waiting {
                println!("{akte}  not now: {why}");
            }
            let config = service_use::config(data)?;
            let purged = eakte_service::purge_destroyed(data, &config)?;
            println!(
                "purged: {} blob(s) from {} store segment(s), {} journal payload(s), index and catalog rewritten",
                purged.blobs, purged.store_segments, purged.journal_payloads_erased
            );
        }
        DispositionCommand::List { json } => {
            let service = service_use::open(data)?;
            let batches = service.dispositions(&cli_principal());
            let batches = finish(service, batches)?;
            if json {
                stdout_json(&batches)?;
            } else {
                for batch in &batches {
                    println!(
                        "{}  as of {}  {} Akte(n)  proposed by {}{}",
                        batch.id,
                        batch.as_of,
                        batch.items.len(),
                        batch.proposed.by,
                        batch
                            .approved
                            .as_ref()
                            .map(|a| format!(", approved by {}", a.by))
                            .unwrap_or_else(|| ", not approved".into())
                    );
                }
            }
        }
        DispositionCommand::Show { batch, json } => {
            let id = parse_batch(&batch)?;
            let service = service_use::open(data)?;
            let batch = service.disposition(&cli_principal(), id);
            let batch = finish(service, batch)?;
            if json {
                stdout_json(&batch)?;
            } else {
                print_batch(&batch);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_batch(batch: &Batch) {
    for item in &batch.items {
        let state = match (item.destroyed_at, item.appraisal, item.archived) {
            (Some(at), _, _) => format!("destroyed {}", at.format("%Y-%m-%d")),
            (None, _, Some(true)) => "archived, to be destroyed".into(),
            (None, _, Some(false)) => "the archive did not take it over".into(),
            (None, Some(a), None) => format!("appraised {a:?}"),
            (None, None, None) => "open".into(),
        };
        println!(
            "  {:<20} {:<28} {:<17} due {}  {state}",
            item.aktenzeichen.to_string(),
            item.rule,
            item.action,
            item.due_on
        );
    }
}

/// `eakte xdomea offer|appraisal|transfer|receipt`.
pub fn xdomea(data: &Path, command: XdomeaCommand) -> Result<ExitCode, Failure> {
    let who = cli_principal();
    match command {
        XdomeaCommand::Offer { batch, out } => {
            let id = parse_batch(&batch)?;
            let file = create_new(&out)?;
            let service = service_use::open(data)?;
            let package = service.xdomea_offer(&who, id);
            write_package(finish(service, package), file, &out)?;
        }
        XdomeaCommand::Transfer { batch, out } => {
            let id = parse_batch(&batch)?;
            let file = create_new(&out)?;
            let service = service_use::open(data)?;
            let package = service.xdomea_transfer(&who, id);
            write_package(finish(service, package), file, &out)?;
        }
        XdomeaCommand::Appraisal { batch, file } => {
            let id = parse_batch(&batch)?;
            let bytes = read_message(&file)?;
            let service = service_use::open(data)?;
            let batch = service.import_appraisal(&who, id, &bytes);
            let batch = finish(service, batch)?;
            print_batch(&batch);
        }
        XdomeaCommand::Receipt { batch, file } => {
            let id = parse_batch(&batch)?;
            let bytes = read_message(&file)?;
            let service = service_use::open(data)?;
            let batch = service.import_receipt(&who, id, &bytes);
            let batch = finish(service, batch)?;
            print_batch(&batch);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates the output file, refusing to overwrite one.
fn create_new(path: &Path) -> Result<std::fs::File, Failure> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| bad_argument(format!("cannot create {}: {e}", path.display())))
}

/// Writes a message into the file made for it; on failure the file is removed again.
fn write_package(
    package: Result<eakte_service::XdomeaPackage, Failure>,
    mut file: std::fs::File,
    path: &Path,
) -> Result<(), Failure> {
    let written = package.and_then(|package| {
        file.write_all(&package.zip)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(package)
    });
    match written {
        Ok(package) => {
            println!(
                "{}  ({}, {} bytes)",
                path.display(),
                package.file_name,
                package.zip.len()
            );
            Ok(())
        }
        Err(failure) => {
            let _ = std::fs::remove_file(path);
            Err(failure)
        }
    }
}

/// Reads an incoming message, refusing one larger than a message may be.
fn read_message(path: &Path) -> Result<Vec<u8>, Failure> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > eakte_service::MAX_MESSAGE_BYTES {
        return Err(bad_argument(format!(
            "{} has {size} bytes; an xdomea message may have at most {}",
            path.display(),
            eakte_service::MAX_MESSAGE_BYTES
        )));
    }
    Ok(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?)
}
