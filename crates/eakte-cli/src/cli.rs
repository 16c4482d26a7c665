//! Command-line arguments, exit codes, and dispatch to the commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use eakte_store::StoreError;

use crate::store_cmd;

/// eakte: an electronic records system for German public administration.
#[derive(Debug, Parser)]
#[command(name = "eakte", version, about)]
pub struct Args {
    /// The data directory.
    #[arg(
        long,
        global = true,
        env = "EAKTE_DATA",
        default_value = "./eakte-data"
    )]
    pub data: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The content-addressed store of original bytes.
    #[command(subcommand)]
    Store(StoreCommand),
}

/// `eakte store …`
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Stores files; prints `<blake3>  <path>` for each, like b3sum.
    Put {
        /// Files to store; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Writes a blob's original bytes to standard output, verified against its id.
    Get {
        /// The blob id (64 hex characters).
        id: String,
    },
    /// Re-reads and re-hashes every stored record; prints each bad blob id.
    Verify,
    /// Prints blob count, sizes, deduplication and compression ratios.
    Stats,
}

/// Exit codes beyond 0 (success).
pub mod exit {
    /// A general failure: I/O, configuration, a store in use.
    pub const FAILURE: u8 = 1;
    /// The blob does not exist (or the id is not one).
    pub const NOT_FOUND: u8 = 2;
    /// Stored bytes are corrupt.
    pub const CORRUPT: u8 = 3;
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, for the message.
    pub error: anyhow::Error,
    /// The process exit code.
    pub code: u8,
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        let code = match &error {
            StoreError::NotFound(_) => exit::NOT_FOUND,
            StoreError::Corruption { .. } => exit::CORRUPT,
            _ => exit::FAILURE,
        };
        Self {
            error: error.into(),
            code,
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self {
            error,
            code: exit::FAILURE,
        }
    }
}

/// Runs one command; the exit code on success may still report findings (verify).
pub fn run(args: Args) -> Result<ExitCode, Failure> {
    match args.command {
        Command::Store(command) => store_cmd::run(&args.data, command),
    }
}
