//! `eakte plan …`, `eakte akte …`, `eakte demo`, `eakte rebuild` and `eakte verify`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use eakte_catalog::Extraction;
use eakte_service::{NewAkte, Service};
use eakte_types::{Aktenzeichen, Confidentiality, PlanCode};
use serde_json::json;

use crate::cli::{AkteCommand, Failure, PlanCommand, exit};
use crate::journal_use::cli_principal;
use crate::service_use::{self, bad_argument, parse_date};

/// `eakte plan show|import`.
pub fn plan(data: &Path, command: PlanCommand) -> Result<ExitCode, Failure> {
    let bytes = match &command {
        PlanCommand::Import { file } => {
            Some(std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?)
        }
        PlanCommand::Show { .. } => None,
    };
    let service = service_use::open(data)?;
    let result = match (command, bytes) {
        (PlanCommand::Show { json }, _) => show_plan(&service, json),
        (PlanCommand::Import { .. }, Some(bytes)) => service
            .import_plan(&cli_principal(), &bytes)
            .map_err(Failure::from)
            .map(|plan| {
                println!(
                    "imported file plan {} ({}): {} units",
                    plan.plan_version,
                    plan.title,
                    plan.units().count()
                );
                ExitCode::SUCCESS
            }),
        (PlanCommand::Import { .. }, None) => unreachable!("the file was read above"),
    };
    // Closed whatever the outcome, so that the index mark and a checkpoint are written.
    let closed = service.close();
    let code = result?;
    closed?;
    Ok(code)
}

fn show_plan(service: &Service, json: bool) -> Result<ExitCode, Failure> {
    let Some(plan) = service
        .catalog()
        .plan()
        .map_err(eakte_service::ServiceError::from)?
    else {
        return Err(Failure {
            error: anyhow::anyhow!(
                "no file plan has been imported yet: eakte plan import FILE (or eakte demo)"
            ),
            code: exit::NOT_FOUND,
        });
    };
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &plan).context("stdout")?;
        writeln!(out).context("stdout")?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "{} (version {})", plan.title, plan.plan_version).context("stdout")?;
    for (depth, unit) in plan.units() {
        let code = format!("{}{}", "  ".repeat(depth), unit.code);
        let class = unit.record_class.as_str();
        writeln!(
            out,
            "{code:<14} {:<52} {:<24} {:<10} {}  {}",
            unit.title,
            unit.unit,
            class,
            unit.archival_value,
            unit.retention_rule.as_deref().unwrap_or("-")
        )
        .context("stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn parse_az(text: &str) -> Result<Aktenzeichen, Failure> {
    text.parse::<Aktenzeichen>()
        .map_err(|e| bad_argument(e.to_string()))
}

/// `eakte akte create|close|show`.
pub fn akte(data: &Path, command: AkteCommand) -> Result<ExitCode, Failure> {
    // Arguments are checked before anything is opened.
    let service;
    match command {
        AkteCommand::Create {
            plan,
            title,
            unit,
            confidentiality,
        } => {
            let plan_code: PlanCode = plan
                .parse()
                .map_err(|e: eakte_types::RecordParseError| bad_argument(e.to_string()))?;
            let confidentiality: Confidentiality = confidentiality
                .parse()
                .map_err(|e: eakte_types::RecordParseError| bad_argument(e.to_string()))?;
            service = service_use::open(data)?;
            let akte = service.create_akte(
                &cli_principal(),
                NewAkte {
                    plan_code,
                    title,
                    unit,
                    confidentiality,
                },
            );
            let akte = finish(service, akte)?;
            println!("{}  {}", akte.id, akte.aktenzeichen);
        }
        AkteCommand::Close { aktenzeichen, date } => {
            let az = parse_az(&aktenzeichen)?;
            let date = date.map(|d| parse_date("--date", &d)).transpose()?;
            service = service_use::open(data)?;
            let akte = service.close_akte(&cli_principal(), &az.into(), date);
            let akte = finish(service, akte)?;
            println!(
                "{} closed on {}",
                akte.aktenzeichen,
                akte.closed_on.map(|d| d.to_string()).unwrap_or_default()
            );
        }
        AkteCommand::Show { aktenzeichen, json } => {
            let az = parse_az(&aktenzeichen)?;
            service = service_use::open(data)?;
            let shown = show_akte(&service, &az, json);
            finish(service, shown)?;
        }
        AkteCommand::Event {
            aktenzeichen,
            event,
            date,
        } => {
            let az = parse_az(&aktenzeichen)?;
            let date = parse_date("--date", &date)?;
            service = service_use::open(data)?;
            let akte = service.record_event(&cli_principal(), &az.into(), &event, date);
            let akte = finish(service, akte)?;
            println!("{}: {event} on {date}", akte.aktenzeichen);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Closes the service after a use case, reporting the use case's error first.
pub(crate) fn finish<T>(
    service: Service,
    result: Result<T, eakte_service::ServiceError>,
) -> Result<T, Failure> {
    let closed = service.close();
    let value = result?;
    closed?;
    Ok(value)
}

fn show_akte(
    service: &Service,
    az: &Aktenzeichen,
    as_json: bool,
) -> Result<(), eakte_service::ServiceError> {
    let view = service.read_akte(&cli_principal(), &az.clone().into())?;
    let (akte, documents) = (view.akte, view.documents);
    if as_json {
        let value = json!({ "akte": akte, "documents": documents });
        println!("{value}");
        return Ok(());
    }
    println!("Aktenzeichen     {}", akte.aktenzeichen);
    println!("id               {}", akte.id);
    println!("title            {}", akte.title);
    println!("plan code        {}", akte.plan_code);
    println!("unit             {}", akte.unit);
    println!("confidentiality  {}", akte.confidentiality);
    match akte.closed_on {
        Some(date) => println!("status           closed (zdA {date})"),
        None => println!("status           {}", akte.status),
    }
    println!(
        "created          {}",
        akte.created.format("%Y-%m-%d %H:%M:%S UTC")
    );
    for (name, date) in &akte.domain_dates {
        println!("{name:<16} {date}");
    }
    println!("documents        {}", documents.len());
    for dokument in &documents {
        let text = dokument
            .latest()
            .map(|v| text_state(&v.extraction))
            .unwrap_or_default();
        println!(
            "  {}  {}  [{}; {}; {}]",
            dokument.id,
            dokument.title,
            dokument.doc_type.as_deref().unwrap_or("-"),
            dokument
                .received
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
            text
        );
    }
    Ok(())
}

/// `eakte demo`.
pub fn demo(data: &Path, dir: &Path) -> Result<ExitCode, Failure> {
    let service = service_use::open(data)?;
    let report = service.demo(&cli_principal(), dir);
    let waited = report.is_ok().then(|| service.wait_idle());
    let report = finish(service, report)?;
    if let Some(waited) = waited {
        waited?;
    }
    println!(
        "demo: file plan {}, {} Akte(n) created, {} document(s) filed, {} already there",
        if report.plan_imported {
            "imported"
        } else {
            "already there"
        },
        report.akten_created,
        report.documents_filed,
        report.documents_present
    );
    Ok(ExitCode::SUCCESS)
}

/// `eakte rebuild`.
pub fn rebuild(data: &Path) -> Result<ExitCode, Failure> {
    let config = service_use::config(data)?;
    let started = std::time::Instant::now();
    let service = Service::rebuild(data, config, service_use::options()?)?;
    service_use::finish_resumed(&service)?;
    let documents = service
        .catalog()
        .dokumente()
        .map_err(eakte_service::ServiceError::from)?
        .len();
    let akten = service
        .catalog()
        .akten()
        .map_err(eakte_service::ServiceError::from)?
        .len();
    service.close()?;
    println!(
        "rebuilt catalog and index from the journal: {akten} Akte(n), {documents} document(s) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `eakte verify`.
pub fn verify(data: &Path) -> Result<ExitCode, Failure> {
    let service = service_use::open(data)?;
    let report = service.verify(&mut |_, _| {});
    let journal = match &report {
        Ok(_) => Some(crate::audit_cmd::verify_live(data, service.journal(), &[])),
        Err(_) => None,
    };
    let recorded = match &report {
        Ok(report) => {
            let journal_ok = matches!(journal, Some(Ok(Ok(_))));
            let outcome = if report.problems.is_empty() && journal_ok {
                eakte_journal::Outcome::Ok
            } else {
                eakte_journal::Outcome::Error
            };
            crate::journal_use::record(
                service.journal(),
                crate::journal_use::cli_event(eakte_journal::action::RECORDS_VERIFIED, outcome)
                    .detail("blobs", report.blobs_checked)
                    .detail("catalog_records", report.catalog_records)
                    .detail("problems", report.problems.len()),
            )
        }
        Err(_) => Ok(()),
    };
    let mut report = finish(service, report)?;
    recorded?;
    match journal {
        Some(Ok(Ok(journal))) => println!(
            "journal: {} entries verified under {} checkpoints",
            journal.end - journal.first,
            journal.checkpoints
        ),
        Some(Ok(Err(failure))) => report.problems.push(format!("journal: {failure}")),
        Some(Err(failure)) => report
            .problems
            .push(format!("journal: {:#}", failure.error)),
        None => {}
    }
    println!(
        "store: {} blobs re-hashed; catalog: {} records, {} referenced blobs, {} journal entries replayed",
        report.blobs_checked,
        report.catalog_records,
        report.referenced_blobs,
        report.journal_entries
    );
    if report.problems.is_empty() {
        println!("ok: store, journal and catalog agree");
        Ok(ExitCode::SUCCESS)
    } else {
        for problem in &report.problems {
            println!("PROBLEM: {problem}");
        }
        println!("FAILED: {} problem(s)", report.problems.len());
        Ok(ExitCode::from(exit::CORRUPT))
    }
}

/// `eakte dump-catalog`.
pub fn dump(data: &Path) -> Result<ExitCode, Failure> {
    let service = service_use::open(data)?;
    let dump = service.catalog_dump(&cli_principal());
    let dump = finish(service, dump)?;
    print!("{dump}");
    Ok(ExitCode::SUCCESS)
}

/// `eakte document show`.
pub fn show_document(
    data: &Path,
    id: &str,
    text: bool,
    as_json: bool,
) -> Result<ExitCode, Failure> {
    let id: eakte_types::DokumentId = id
        .parse()
        .map_err(|e: eakte_types::RecordParseError| bad_argument(e.to_string()))?;
    let service = service_use::open(data)?;
    let view = service.read_document(&cli_principal(), id, text);
    let view = finish(service, view)?;
    if as_json {
        println!(
            "{}",
            json!({ "document": view.dokument, "akte": view.akte, "text": view.text })
        );
        return Ok(ExitCode::SUCCESS);
    }
    let d = &view.dokument;
    println!("document         {}", d.id);
    println!("title            {}", d.title);
    println!("type             {}", d.doc_type.as_deref().unwrap_or("-"));
    match &view.akte {
        Some(akte) => println!("Akte             {}  {}", akte.aktenzeichen, akte.title),
        None => println!("Akte             - (inbox)"),
    }
    if let Some(received) = d.received {
        println!("received         {received}");
    }
    if let Some(sender) = &d.sender {
        println!("sender           {sender}");
    }
    println!(
        "filed            {}",
        d.filed.format("%Y-%m-%d %H:%M:%S UTC")
    );
    for v in &d.versions {
        let mut state = text_state(&v.extraction);
        if let Extraction::Failed { message, .. } = &v.extraction {
            state = format!("{state}: {}", crate::search_cmd::printable(message));
        }
        println!(
            "version {:<8} {}  {} bytes  sha256 {}  {state}",
            v.number, v.blob, v.size, v.sha256
        );
    }
    if let Some(extraction) = &view.text {
        for page in &extraction.pages {
            println!("--- page {} ---", page.number);
            println!("{}", crate::search_cmd::printable(&page.text));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The state of a version's text, in a few words: pages and language, pending, or why none.
fn text_state(extraction: &Extraction) -> String {
    match extraction {
        Extraction::Done {
            pages, language, ..
        } => match language {
            Some(language) => format!("{pages} page(s) of text, {language}"),
            None => format!("{pages} page(s) of text"),
        },
        Extraction::Pending => "text pending".to_owned(),
        Extraction::Failed { code, .. } => format!("no text ({code})"),
    }
}
