//! `eakte serve`: the HTTP API on the data directory.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use eakte_api::AppState;
use eakte_service::tokens::NewToken;
use eakte_service::{Role, Service};
use eakte_types::Confidentiality;

use crate::cli::Failure;
use crate::journal_use::cli_principal;
use crate::service_use;

/// Where the first start leaves the admin token, below the data directory.
pub const ADMIN_TOKEN_FILE: &str = "auth/admin.token";

/// Serves the API until SIGINT or SIGTERM, then finishes running requests and closes the
/// service cleanly.
pub fn run(data: &Path, bind: Option<SocketAddr>) -> Result<ExitCode, Failure> {
    let config = service_use::config(data)?;
    let bind = match bind {
        Some(bind) => bind,
        None => config
            .server
            .bind
            .parse()
            .context("server.bind is not an address")?,
    };
    let max_upload = config.server.max_upload_bytes;
    let service = Arc::new(service_use::open(data)?);
    if let Err(failure) = first_admin_token(data, &service) {
        close(service)?;
        return Err(failure);
    }
    let state = match AppState::new(Arc::clone(&service), data.join("uploads"), max_upload) {
        Ok(state) => Arc::new(state),
        Err(e) => {
            close(service)?;
            return Err(anyhow::anyhow!("cannot prepare the upload folder: {e}").into());
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        let address = listener.local_addr().context("no local address")?;
        // The one line on stdout: scripts and tests read the address from it.
        println!("listening on http://{address}/api/v1");
        std::io::stdout().flush().context("stdout")?;
        eakte_api::serve(listener, state, shutdown_signal())
            .await
            .context("the server failed")
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(30));
    eprintln!("eakte: stopping");
    close(service)?;
    served?;
    Ok(ExitCode::SUCCESS)
}

fn close(service: Arc<Service>) -> Result<(), Failure> {
    let service = Arc::try_unwrap(service)
        .map_err(|_| anyhow::anyhow!("requests still hold the service; it was not closed"))?;
    service.close()?;
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
}

/// On a data directory without a live admin token, creates one and leaves it, readable by
/// the owner only, at [`ADMIN_TOKEN_FILE`].
fn first_admin_token(data: &Path, service: &Service) -> Result<(), Failure> {
    if service.has_live_token(Role::Admin) {
        return Ok(());
    }
    let (record, token) = service.create_token(
        &cli_principal(),
        NewToken {
            user: "admin".into(),
            role: Role::Admin,
            units: Vec::new(),
            clearance: Confidentiality::Offen,
        },
    )?;
    let path: PathBuf = data.join(ADMIN_TOKEN_FILE);
    write_private(&path, &format!("{token}\n"))
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "eakte: created the admin token {} (user admin); it is in {}",
        record.id,
        path.display()
    );
    Ok(())
}

/// Writes a file that only its owner may read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
