//! The HTTP API of eakte: a thin axum layer over [`eakte_service::Service`].
//!
//! Handlers authenticate the bearer token, parse the request and call one use case of the
//! service, which checks the caller's rights on each object and journals the request; the
//! service's blocking work runs on tokio's blocking threads. Every error answer has the body
//! `{"error": {"code", "message"}}` ([`ErrorBody`]); `docs/api.md` lists codes and statuses.
//! The OpenAPI 3.1 document is generated from the handlers ([`openapi::ApiDoc`]) and served at
//! `/api/v1/openapi.json`.

mod audit;
mod auth;
mod documents;
mod dto;
mod error;
mod extract;
mod filing;
mod metrics;
pub mod openapi;
mod operations;
mod retention;
mod search;
mod tokens;
mod upload;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use eakte_service::{Service, ServiceError};
use tokio::net::TcpListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

pub use error::{ApiError, ErrorBody, ErrorDetail};

/// The prefix of every route.
pub const PREFIX: &str = "/api/v1";

/// What every handler shares.
pub struct AppState {
    service: Arc<Service>,
    max_upload_bytes: u64,
    upload_dir: PathBuf,
    metrics: metrics::Metrics,
    /// Uploads received at once; more wait (up to [`BUSY_WAIT`], then 503).
    uploads: Arc<Semaphore>,
    /// Downloads streamed at once, each holding a blocking thread; more wait likewise.
    downloads: Arc<Semaphore>,
}

/// Uploads received at once.
const MAX_UPLOADS: usize = 16;
/// Downloads streamed at once.
const MAX_DOWNLOADS: usize = 64;
/// How long a request waits for an upload or download slot before it is answered 503.
const BUSY_WAIT: Duration = Duration::from_secs(30);
/// How long running requests may take after the signal to stop before they are cut off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

impl AppState {
    /// The state of a server over `service`; uploads are spooled below `upload_dir` (which is
    /// created, and emptied of what an earlier process left) and may have `max_upload_bytes`.
    pub fn new(
        service: Arc<Service>,
        upload_dir: PathBuf,
        max_upload_bytes: u64,
    ) -> std::io::Result<Self> {
        if upload_dir.exists() {
            std::fs::remove_dir_all(&upload_dir)?;
        }
        std::fs::create_dir_all(&upload_dir)?;
        Ok(Self {
            service,
            max_upload_bytes,
            upload_dir,
            metrics: metrics::Metrics::new(),
            uploads: Arc::new(Semaphore::new(MAX_UPLOADS)),
            downloads: Arc::new(Semaphore::new(MAX_DOWNLOADS)),
        })
    }
}

/// A slot of `pool`, waited for at most [`BUSY_WAIT`]; else 503 `busy`.
pub(crate) async fn slot(pool: &Arc<Semaphore>) -> Result<OwnedSemaphorePermit, ApiError> {
    match tokio::time::timeout(BUSY_WAIT, Arc::clone(pool).acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many transfers at once; try again shortly",
        )),
    }
}

/// Runs a blocking use case of the service on a blocking thread.
pub(crate) async fn blocking<T, F>(state: &Arc<AppState>, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Service) -> Result<T, ServiceError> + Send + 'static,
{
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || work(&state.service))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// The whole API, all routes under [`PREFIX`].
pub fn router(state: Arc<AppState>) -> Router {
    // Upload bodies are bounded by the configured limit (plus room for the form's other
    // fields); every other body by axum's default of 2 MiB.
    let upload_limit =
        usize::try_from(state.max_upload_bytes.saturating_add(1 << 20)).unwrap_or(usize::MAX);
    // xdomea messages from the archive may be as large as a message may be.
    let messages = Router::new()
        .route(
            "/dispositions/{id}/xdomea/appraisal",
            post(retention::xdomea_appraisal),
        )
        .route(
            "/dispositions/{id}/xdomea/receipt",
            post(retention::xdomea_receipt),
        )
        .layer(DefaultBodyLimit::max(
            usize::try_from(eakte_service::MAX_MESSAGE_BYTES).unwrap_or(usize::MAX),
        ));
    let uploads = Router::new()
        .route("/inbox", post(filing::upload_to_inbox))
        .route("/akten/{id}/documents", post(filing::file_into_akte))
        .layer(DefaultBodyLimit::max(upload_limit));
    let api = Router::new()
        .route("/inbox", get(filing::list_inbox))
        .route("/documents/{id}/assign", post(filing::assign))
        .route("/plan", get(filing::plan))
        .route("/akten", get(filing::list_akten).post(filing::create_akte))
        .route("/akten/{id}", get(filing::read_akte))
        .route("/akten/{id}/close", post(filing::close_akte))
        .route("/akten/{id}/vorgaenge", post(filing::create_vorgang))
        .route("/documents/{id}", get(documents::metadata))
        .route("/documents/{id}/content", get(documents::content))
        .route("/documents/{id}/text", get(documents::text))
        .route("/search", get(search::search))
        .route("/audit/events", get(audit::events))
        .route("/audit/checkpoint", get(audit::checkpoint))
        .route("/audit/proof/inclusion", get(audit::inclusion))
        .route("/audit/proof/consistency", get(audit::consistency))
        .route("/audit/export", get(audit::export))
        .route("/retention/rules", get(retention::rules))
        .route("/retention/due", get(retention::due))
        .route("/akten/{id}/retention", get(retention::akte_retention))
        .route("/akten/{id}/events", post(retention::record_event))
        .route("/holds", get(retention::holds).post(retention::set_hold))
        .route("/holds/{id}/release", post(retention::release_hold))
        .route(
            "/dispositions",
            get(retention::dispositions).post(retention::propose),
        )
        .route("/dispositions/{id}", get(retention::disposition))
        .route("/dispositions/{id}/approve", post(retention::approve))
        .route(
            "/dispositions/{id}/xdomea/offer",
            post(retention::xdomea_offer),
        )
        .route(
            "/dispositions/{id}/xdomea/transfer",
            post(retention::xdomea_transfer),
        )
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/healthz", get(operations::healthz))
        .route("/metrics", get(operations::metrics))
        .route("/openapi.json", get(operations::openapi))
        .merge(uploads)
        .merge(messages)
        .fallback(operations::no_route)
        .method_not_allowed_fallback(operations::method_not_allowed);
    Router::new()
        .nest(PREFIX, api)
        .fallback(operations::no_route)
        .layer(axum::middleware::from_fn(read_small_bodies))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            metrics::track,
        ))
        .with_state(state)
}

/// Bodies of at most this many bytes (by their `Content-Length`) are read completely before
/// the request is handled.
const EAGER_BODY_BYTES: u64 = 1 << 20;

/// Small bodies read ahead at once (64 MiB at most in memory).
static EAGER_READS: Semaphore = Semaphore::const_new(64);

/// Reads a small request body before the request is handled. A handler may refuse before it
/// reads the body (a caller without the right to upload is not made to send 500 MB); the
/// connection is then closed with the body's rest unread, and the client, still sending, can
/// lose the answer to a reset. A small body is read first, so its refusal always arrives; a
/// larger one is refused unread, as intended.
async fn read_small_bodies(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(len) = declared.filter(|len| (1..=EAGER_BODY_BYTES).contains(len)) else {
        return next.run(request).await;
    };
    // Bounded: at most this many bodies are held in memory before their requests are handled;
    // beyond that a body is handed on unread, as larger ones are.
    let Ok(_permit) = EAGER_READS.try_acquire() else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    // The limit is the declared length: a body longer than it says is an error.
    match axum::body::to_bytes(body, usize::try_from(len).unwrap_or(usize::MAX)).await {
        Ok(bytes) => {
            next.run(axum::extract::Request::from_parts(
                parts,
                axum::body::Body::from(bytes),
            ))
            .await
        }
        Err(_) => ApiError::bad_request(
            "body_unreadable",
            "the request body could not be read as long as its Content-Length says",
        )
        .into_response(),
    }
}

/// Serves the API on `listener` until `shutdown` completes, then lets running requests finish
/// for 30 seconds and cuts off what is still running (a client that stopped reading
/// must not keep the server from stopping).
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let stopping = Arc::new(Notify::new());
    let signalled = Arc::clone(&stopping);
    let graceful = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        signalled.notify_one();
    });
    tokio::select! {
        result = graceful => result,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("requests still running after the grace period were cut off");
            Ok(())
        }
    }
}
