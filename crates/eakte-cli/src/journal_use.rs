//! Opening the journal for a command, and who a command-line user is in it.

use std::path::Path;

use anyhow::Context;
use eakte_config::Config;
use eakte_journal::{Actor, Journal, NewEvent, Outcome, journal_dir};

use crate::cli::Failure;

/// Opens (creating on first use, with its checkpoint key pair) the data directory's journal.
pub fn open_journal(data: &Path, config: &Config) -> Result<Journal, Failure> {
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create data directory {}", data.display()))?;
    Journal::open(&journal_dir(data), &config.journal)
        .context("cannot open the journal; nothing was done")
        .map_err(Failure::from)
}

/// The person at the terminal: the invoking user of sudo, else the login name, else the uid. The
/// name comes from the environment, which the user controls, so the client field also records
/// the process's real uid.
pub fn cli_actor() -> Actor {
    let user = ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(uid_name);
    Actor {
        user,
        role: "operator".into(),
        unit: None,
        client: Some(format!("cli {}", uid_name())),
    }
}

/// The command line's principal: the person at the terminal, with every right (whoever holds
/// the data directory can read it anyway).
pub fn cli_principal() -> eakte_service::Principal {
    eakte_service::Principal::operator(cli_actor())
}

/// `uid:N` (the real uid) from `/proc/self/status`.
fn uid_name() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| {
                    ids.split_whitespace()
                        .next()
                        .map(|uid| format!("uid:{uid}"))
                })
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// An event by the command-line user.
pub fn cli_event(action: &str, outcome: Outcome) -> NewEvent {
    NewEvent::new(cli_actor(), action, outcome)
}

/// Appends an event; a command whose event cannot be journaled fails.
pub fn record(journal: &Journal, event: NewEvent) -> Result<(), Failure> {
    journal
        .append(event)
        .context("cannot write the journal")
        .map(|_| ())
        .map_err(Failure::from)
}
