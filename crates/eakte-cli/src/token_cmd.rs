//! `eakte token`: API tokens, managed by the operator at the terminal.

use std::path::Path;
use std::process::ExitCode;

use eakte_service::Role;
use eakte_service::tokens::NewToken;

use crate::cli::{Failure, TokenCommand};
use crate::journal_use::cli_principal;
use crate::service_use::{self, bad_argument};

/// Runs a token command.
pub fn run(data: &Path, command: TokenCommand) -> Result<ExitCode, Failure> {
    let service = service_use::open(data)?;
    let result = run_with(&service, command);
    service.close()?;
    result
}

fn run_with(service: &eakte_service::Service, command: TokenCommand) -> Result<ExitCode, Failure> {
    let who = cli_principal();
    match command {
        TokenCommand::Create {
            user,
            role,
            units,
            clearance,
        } => {
            let role = Role::of_token(&role).ok_or_else(|| {
                bad_argument(format!(
                    "--role {role:?} is not one of scanner, clerk, records_manager, auditor, admin"
                ))
            })?;
            let clearance = clearance.parse().map_err(|_| {
                bad_argument(format!(
                    "--clearance {clearance:?} is not one of offen, nfd, vertraulich"
                ))
            })?;
            let (record, token) = service.create_token(
                &who,
                NewToken {
                    user,
                    role,
                    units,
                    clearance,
                },
            )?;
            println!("{token}");
            eprintln!(
                "eakte: token {} for {} ({}) created; it is shown only this once",
                record.id, record.user, record.role
            );
        }
        TokenCommand::List { json } => {
            let records = service.list_tokens(&who)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&records).map_err(anyhow::Error::from)?
                );
            } else {
                for r in records {
                    let revoked = r
                        .revoked
                        .map_or_else(|| "live".to_owned(), |t| format!("revoked {t}"));
                    println!(
                        "{}  {:<16} {:<15} {:<11} {}  {}",
                        r.id,
                        r.user,
                        r.role,
                        r.clearance,
                        revoked,
                        r.units.join("; ")
                    );
                }
            }
        }
        TokenCommand::Revoke { id } => {
            let record = service.revoke_token(&who, &id)?;
            println!("token {} of {} revoked", record.id, record.user);
        }
    }
    Ok(ExitCode::SUCCESS)
}
