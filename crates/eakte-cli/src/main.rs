//! The `eakte` command-line program.

mod audit_cmd;
mod cli;
mod extract_cmd;
mod ingest_cmd;
mod journal_use;
mod records_cmd;
mod retention_cmd;
mod search_cmd;
mod serve_cmd;
mod service_use;
mod store_cmd;
mod token_cmd;
mod watch_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EAKTE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("eakte: {:#}", failure.error);
            ExitCode::from(failure.code)
        }
    }
}
