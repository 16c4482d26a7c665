//! Command-line arguments, exit codes, and dispatch to the commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use eakte_store::StoreError;

use crate::{
    audit_cmd, extract_cmd, ingest_cmd, records_cmd, retention_cmd, search_cmd, serve_cmd,
    store_cmd, token_cmd, watch_cmd,
};

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
    /// The journal of every change and access: keys, checkpoints, export, verification, events.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Extracts the text of files (PDF, TIFF, PNG, JPEG, text) page by page, with OCR where a
    /// page has no text layer; parsing and OCR run in sandboxed worker processes.
    Extract {
        /// Files to extract; several are extracted in parallel, one worker per core.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the versioned JSON result instead of text (for several files: one line per
        /// file, `{"file": …, "extraction": …}` or `{"file": …, "error": …}`).
        #[arg(long)]
        json: bool,
        /// Tesseract languages joined by `+` (default: the configured `extract.languages`,
        /// normally deu+eng).
        #[arg(long)]
        lang: Option<String>,
    },
    /// Worker mode for `extract` and the server: reads documents on stdin, answers on stdout.
    #[command(hide = true)]
    ExtractWorker,
    /// The file plan (Aktenplan).
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Akten (files): create, close, show.
    #[command(subcommand)]
    Akte(AkteCommand),
    /// Documents: show one with its text.
    #[command(subcommand)]
    Document(DocumentCommand),
    /// Files files and whole directories (recursively) into an Akte or the inbox; prints
    /// `<document-uuid>  <path>` per file; files already filed there are skipped.
    Ingest {
        /// The Akte to file into (its Aktenzeichen); without it, into the inbox.
        #[arg(long)]
        akte: Option<String>,
        /// The document type of every file, such as Meldebescheinigung.
        #[arg(long = "type")]
        doc_type: Option<String>,
        /// The date the documents were received (YYYY-MM-DD).
        #[arg(long)]
        received: Option<String>,
        /// Files and directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Searches documents in German: words, "phrases", AND/OR/NOT, field:value, prefix*,
    /// fuzzy~, date ranges (see docs/search.md).
    Search(SearchArgs),
    /// Sets up the demo file plan, Akten and documents (from fixtures/demo) so that a newcomer
    /// can search at once; running it again changes nothing.
    Demo {
        /// The demo folder with its demo.json.
        #[arg(long, default_value = "fixtures/demo")]
        dir: PathBuf,
    },
    /// API tokens: create (the token is printed once), list, revoke. The data directory must
    /// not be in use by a running server.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Serves the HTTP API (docs/api.md) on 127.0.0.1:8080 or `server.bind`; on first start it
    /// creates an admin token in DATA/auth/admin.token. Stops cleanly on Ctrl-C or SIGTERM.
    Serve {
        /// The address to listen on, such as 127.0.0.1:8080 (port 0: any free port).
        #[arg(long)]
        bind: Option<std::net::SocketAddr>,
    },
    /// Watches a scanning station's share and uploads each complete file with its transfer
    /// note (NAME.json beside it) into the inbox of UNIT through the API, with a scanner's
    /// token; moves each to DIR/done/ or DIR/failed/ (with NAME.error.txt) after the answer.
    Watch(WatchArgs),
    /// Retention: the rules in force, an Akte's retention state, what is due.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Legal holds: while one covers a record, nothing but restriction happens to it.
    #[command(subcommand)]
    Hold(HoldCommand),
    /// Disposition in two phases and with four eyes: propose what is due, approve (another
    /// records manager), then carry out.
    #[command(subcommand)]
    Disposition(DispositionCommand),
    /// The xdomea messages of a disposition batch with the public archive.
    #[command(subcommand)]
    Xdomea(XdomeaCommand),
    /// Deletes the catalog and the index and recreates them from the journal and the store.
    Rebuild,
    /// Checks store, journal and catalog together: every stored byte, every referenced blob,
    /// every catalog record backed by the journal.
    Verify,
    /// Prints the catalog's canonical dump (one JSON line per record), for comparing a catalog
    /// before and after `rebuild`.
    #[command(hide = true)]
    DumpCatalog,
}

/// `eakte watch …`
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The folder the scanning station writes to.
    pub dir: PathBuf,
    /// The organisational unit whose inbox receives the documents.
    #[arg(long)]
    pub unit: String,
    /// The API's base address.
    #[arg(
        long,
        env = "EAKTE_SERVER",
        default_value = "http://127.0.0.1:8080/api/v1"
    )]
    pub server: String,
    /// A file holding the scanner's token (else the environment variable EAKTE_TOKEN).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Milliseconds between two looks; a file is complete when it is the same at two looks.
    #[arg(long, default_value_t = 2000)]
    pub interval_ms: u64,
    /// A complete file whose transfer note has not appeared after this many seconds fails.
    #[arg(long, default_value_t = 300)]
    pub note_timeout_seconds: u64,
    /// Seconds one upload may take.
    #[arg(long, default_value_t = 600)]
    pub timeout_seconds: u64,
    /// Handles what is complete now (two looks) and exits: 0 when nothing failed, else 1.
    #[arg(long)]
    pub once: bool,
}

/// `eakte search …`
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The query.
    pub query: String,
    /// Hits per page.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Hits to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Only this plan code, or with `*` everything below it (`33.*`).
    #[arg(long)]
    pub plan: Option<String>,
    /// Only documents of this organisational unit.
    #[arg(long)]
    pub unit: Option<String>,
    /// Only this document type.
    #[arg(long = "type")]
    pub doc_type: Option<String>,
    /// Received on or after (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Received on or before (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Order: relevance, newest, oldest (by received date).
    #[arg(long, default_value = "relevance")]
    pub sort: String,
    /// JSON: `{"total": N, "hits": [...]}`.
    #[arg(long)]
    pub json: bool,
}

/// `eakte token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Creates a token and prints it once (only its SHA-256 is kept), then its id on stderr.
    Create {
        /// The user id the token acts for (1–64 of a-z, A-Z, 0-9, '.', '_', '-').
        #[arg(long)]
        user: String,
        /// scanner, clerk, records_manager, auditor or admin.
        #[arg(long)]
        role: String,
        /// An organisational unit it acts for (repeat for several; scanners and clerks need one).
        #[arg(long = "unit")]
        units: Vec<String>,
        /// offen, nfd or vertraulich.
        #[arg(long, default_value = "offen")]
        clearance: String,
    },
    /// Lists every token: id, user, role, clearance, units, created, revoked.
    List {
        /// As JSON (the stored records, without secrets).
        #[arg(long)]
        json: bool,
    },
    /// Revokes a token for good.
    Revoke {
        /// The token's id (16 hex digits, shown by `create` and `list`).
        id: String,
    },
}

/// `eakte plan …`
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Prints the file plan tree: code, title, unit, record class, archival value, rule id.
    Show {
        /// The plan as JSON (the imported file's format).
        #[arg(long)]
        json: bool,
    },
    /// Imports a file plan (JSON, `schemas/file-plan.v1.json`); it replaces the current plan.
    Import {
        /// The plan file.
        file: PathBuf,
    },
}

/// `eakte document …`
#[derive(Debug, Subcommand)]
pub enum DocumentCommand {
    /// Shows a document: title, type, dates, its Akte, versions and the state of their text.
    Show {
        /// The document's UUID.
        id: String,
        /// Also print the extracted text of the latest version, page by page.
        #[arg(long)]
        text: bool,
        /// As JSON (`{"document", "akte", "text"}`; text is the extraction result).
        #[arg(long)]
        json: bool,
    },
}

/// `eakte akte …`
#[derive(Debug, Subcommand)]
pub enum AkteCommand {
    /// Creates an Akte; prints its UUID and Aktenzeichen.
    Create {
        /// The file plan code it belongs to, such as 33.10.
        #[arg(long)]
        plan: String,
        /// Its title.
        #[arg(long)]
        title: String,
        /// The owning organisational unit.
        #[arg(long)]
        unit: String,
        /// offen, nfd or vertraulich.
        #[arg(long, default_value = "offen")]
        confidentiality: String,
    },
    /// Closes an Akte (zdA).
    Close {
        /// Its Aktenzeichen.
        aktenzeichen: String,
        /// The close date (YYYY-MM-DD); today when absent.
        #[arg(long)]
        date: Option<String>,
    },
    /// Shows an Akte with its documents.
    Show {
        /// Its Aktenzeichen.
        aktenzeichen: String,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Records an event of the Akte that retention periods start from (person.moved_away,
    /// person.died, document.validity_end, document.reissued, document.handed_over,
    /// decision.final, …; `eakte retention events` lists them).
    Event {
        /// Its Aktenzeichen.
        aktenzeichen: String,
        /// The event.
        #[arg(long = "type")]
        event: String,
        /// The day it happened (YYYY-MM-DD).
        #[arg(long)]
        date: String,
    },
}

/// `eakte retention …`
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Lists the retention rules in force: id, legal basis, confidence, trigger, phases.
    Rules {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lists the events rules start from, and which of them are recorded by hand.
    Events,
    /// Adopts the rule files (*.toml) of a directory; refused if a rule the file plan uses
    /// would go or any rule would keep records shorter.
    Adopt {
        /// The directory with the rule files.
        dir: PathBuf,
    },
    /// Shows an Akte's retention state: rule, trigger, restriction, end action, due day, what
    /// blocks it.
    Show {
        /// Its Aktenzeichen.
        aktenzeichen: String,
        /// The day to evaluate (YYYY-MM-DD); a preview, today when absent.
        #[arg(long)]
        at: Option<String>,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lists the Akten whose end action is due (or due but blocked), with rule and action.
    Due {
        /// The day to evaluate (YYYY-MM-DD); a preview only, today when absent.
        #[arg(long)]
        at: Option<String>,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `eakte hold …`
#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Sets a hold on an Akte, a Vorgang, a document, or every document a search matches;
    /// prints the hold's id.
    Set {
        /// An Akte (its Aktenzeichen).
        #[arg(long, group = "target", required = true)]
        akte: Option<String>,
        /// A Vorgang (its UUID).
        #[arg(long, group = "target")]
        vorgang: Option<String>,
        /// A document (its UUID).
        #[arg(long, group = "target")]
        document: Option<String>,
        /// Every document this full-text query matches now.
        #[arg(long, group = "target")]
        query: Option<String>,
        /// Why (pending litigation, open tax assessment, …).
        #[arg(long)]
        reason: String,
        /// The records manager setting it.
        #[arg(long)]
        by: String,
    },
    /// Releases a hold.
    Release {
        /// The hold's id.
        id: String,
        /// The records manager releasing it.
        #[arg(long)]
        by: String,
    },
    /// Lists every hold, released ones included.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `eakte disposition …`
#[derive(Debug, Subcommand)]
pub enum DispositionCommand {
    /// Proposes a batch of everything due today and not blocked; prints the batch id.
    Propose {
        /// The records manager proposing it.
        #[arg(long)]
        by: String,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approves a batch; must be another records manager than the proposer.
    Approve {
        /// The batch id.
        batch: String,
        /// The records manager approving it.
        #[arg(long)]
        by: String,
    },
    /// Destroys what the approved batch may destroy today (destroy and review actions,
    /// offers the archive declined, Akten the archive confirmed taking over), then purges
    /// their bytes from store, index, journal payloads and catalog. The server must not run.
    Execute {
        /// The batch id.
        batch: String,
        /// The records manager carrying it out (default: the batch's approver).
        #[arg(long)]
        by: Option<String>,
    },
    /// Lists the batches.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Shows a batch with its Akten and their state.
    Show {
        /// The batch id.
        batch: String,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `eakte xdomea …`
#[derive(Debug, Subcommand)]
pub enum XdomeaCommand {
    /// Writes the offer (0501, metadata only) of a batch's Akten to be offered.
    Offer {
        /// The batch id.
        batch: String,
        /// The ZIP file to write.
        out: PathBuf,
    },
    /// Imports the archive's appraisal (0502): A archive, V destroy.
    Appraisal {
        /// The batch id.
        batch: String,
        /// The 0502 message (ZIP or XML).
        file: PathBuf,
    },
    /// Writes the transfer (0503) of what the archive wants, with the primary files.
    Transfer {
        /// The batch id.
        batch: String,
        /// The ZIP file to write.
        out: PathBuf,
    },
    /// Imports the archive's receipt (0506); what it confirms can then be destroyed.
    Receipt {
        /// The batch id.
        batch: String,
        /// The 0506 message (ZIP or XML).
        file: PathBuf,
    },
}

/// `eakte audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Prints the checkpoint public key (ed25519:HEX) to hand to auditors.
    PublicKey,
    /// Makes a checkpoint now (if there are new entries) and prints the latest as a JSON line;
    /// keep it to detect a later rollback with `audit verify --checkpoint`.
    Checkpoint,
    /// Writes an export directory that can be verified offline.
    Export {
        /// The directory to create (must not exist or be empty).
        out: PathBuf,
        /// Start with the checkpoint before the first entry at or after this time (RFC 3339 or
        /// YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// End with the first checkpoint covering every entry up to this time.
        #[arg(long)]
        to: Option<String>,
    },
    /// Verifies an export (or, without DIR, the live journal); exit 0 when everything verifies,
    /// 1 otherwise, naming the first bad entry.
    Verify {
        /// The export directory; omitted: the live journal.
        dir: Option<PathBuf>,
        /// The public key (ed25519:HEX) or a file holding it; required with DIR.
        #[arg(long)]
        key: Option<String>,
        /// A file of checkpoints kept from earlier (JSON lines); the export must agree with each.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
    },
    /// Lists events, oldest first.
    Log {
        /// Only events by this user id.
        #[arg(long)]
        actor: Option<String>,
        /// Only events concerning this object id.
        #[arg(long)]
        object: Option<String>,
        /// Only events of this action (e.g. document.read).
        #[arg(long)]
        action: Option<String>,
        /// Not before (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Not after (RFC 3339 or YYYY-MM-DD, inclusive).
        #[arg(long)]
        to: Option<String>,
        /// At most this many events.
        #[arg(long)]
        limit: Option<usize>,
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
    },
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
    /// The request was refused or its input is bad (a refusal, an unknown Akte, a bad query).
    pub const REFUSED: u8 = 4;
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

impl From<eakte_service::ServiceError> for Failure {
    fn from(error: eakte_service::ServiceError) -> Self {
        let code = match &error {
            eakte_service::ServiceError::NotFound { .. } => exit::NOT_FOUND,
            eakte_service::ServiceError::Corruption(_) => exit::CORRUPT,
            e if e.is_caller_error() => exit::REFUSED,
            _ => exit::FAILURE,
        };
        let stable = error.code();
        Self {
            error: anyhow::anyhow!("{error} (code {stable})"),
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
        Command::Audit(command) => audit_cmd::run(&args.data, command),
        Command::Extract { files, json, lang } => {
            extract_cmd::run(&args.data, &files, json, lang.as_deref())
        }
        Command::ExtractWorker => Ok(ExitCode::from(
            u8::try_from(eakte_extract::worker::run()).unwrap_or(exit::FAILURE),
        )),
        Command::Plan(command) => records_cmd::plan(&args.data, command),
        Command::Akte(command) => records_cmd::akte(&args.data, command),
        Command::Document(DocumentCommand::Show { id, text, json }) => {
            records_cmd::show_document(&args.data, &id, text, json)
        }
        Command::Ingest {
            akte,
            doc_type,
            received,
            paths,
        } => ingest_cmd::run(
            &args.data,
            akte.as_deref(),
            doc_type,
            received.as_deref(),
            &paths,
        ),
        Command::Search(search) => search_cmd::run(&args.data, search),
        Command::Demo { dir } => records_cmd::demo(&args.data, &dir),
        Command::Token(command) => token_cmd::run(&args.data, command),
        Command::Serve { bind } => serve_cmd::run(&args.data, bind),
        Command::Watch(watch) => watch_cmd::run(watch),
        Command::Retention(command) => retention_cmd::retention(&args.data, command),
        Command::Hold(command) => retention_cmd::hold(&args.data, command),
        Command::Disposition(command) => retention_cmd::disposition(&args.data, command),
        Command::Xdomea(command) => retention_cmd::xdomea(&args.data, command),
        Command::Rebuild => records_cmd::rebuild(&args.data),
        Command::Verify => records_cmd::verify(&args.data),
        Command::DumpCatalog => records_cmd::dump(&args.data),
    }
}
