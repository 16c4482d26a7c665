//! Opening the service for a command: configuration, the extraction worker command, and
//! finishing pending work that an earlier stop left behind.

use std::path::Path;

use anyhow::Context;
use eakte_config::Config;
use eakte_extract::pool::WorkerCommand;
use eakte_service::{Options, Service};

use crate::cli::Failure;

/// The service's options for this binary: its workers are this program in worker mode.
pub fn options() -> Result<Options, Failure> {
    Ok(Options {
        worker: WorkerCommand {
            program: std::env::current_exe().context("cannot find the eakte binary")?,
            args: vec!["extract-worker".into()],
        },
    })
}

/// The configuration of a data directory, for every command.
pub fn config(data: &Path) -> Result<Config, Failure> {
    Ok(Config::load(data).context("cannot load the configuration")?)
}

/// Opens the service. Extractions an earlier stop left pending are finished first, so that
/// what the command reads is complete.
pub fn open(data: &Path) -> Result<Service, Failure> {
    let service = Service::open(data, config(data)?, options()?)?;
    if let Err(failure) = finish_resumed(&service) {
        let _ = service.close();
        return Err(failure);
    }
    Ok(service)
}

/// Waits for the extractions the service resumed on open, telling the user.
pub fn finish_resumed(service: &Service) -> Result<(), Failure> {
    let resumed = service.resumed();
    if resumed > 0 {
        eprintln!("eakte: finishing {resumed} extraction(s) left pending by an earlier stop");
        service.wait_idle()?;
    }
    Ok(())
}

/// Parses a `YYYY-MM-DD` date argument.
pub fn parse_date(flag: &str, text: &str) -> Result<chrono::NaiveDate, Failure> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| Failure {
        error: anyhow::anyhow!("{flag} {text:?} is not a date of the form YYYY-MM-DD"),
        code: crate::cli::exit::REFUSED,
    })
}

/// A refusal of a bad argument.
pub fn bad_argument(message: String) -> Failure {
    Failure {
        error: anyhow::anyhow!(message),
        code: crate::cli::exit::REFUSED,
    }
}
