//! Request metrics, and the service's queues and counters, in the Prometheus text format.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use eakte_service::Service;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::{ApiError, AppState};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type Durations = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// The server's metrics.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Durations,
    in_flight: Gauge,
    uploads_in_flight: Gauge,
    extraction_queue: Gauge,
    journal_entries: Gauge,
    ocr_pages: Counter,
    ocr_pages_seen: AtomicU64,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("eakte");
        let requests = Family::<RequestLabels, Counter>::default();
        let durations: Durations = Family::new_with_constructor(duration_histogram);
        let in_flight = Gauge::default();
        let uploads_in_flight = Gauge::default();
        let extraction_queue = Gauge::default();
        let journal_entries = Gauge::default();
        let ocr_pages = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response head, by method and route",
            durations.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being handled",
            in_flight.clone(),
        );
        registry.register(
            "filing_queue",
            "Uploads being received and filed (the filing queue)",
            uploads_in_flight.clone(),
        );
        registry.register(
            "extraction_queue",
            "Text extractions queued or running",
            extraction_queue.clone(),
        );
        registry.register(
            "journal_entries",
            "Entries in the journal",
            journal_entries.clone(),
        );
        registry.register(
            "ocr_pages",
            "Pages read by OCR since the server started",
            ocr_pages.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            in_flight,
            uploads_in_flight,
            extraction_queue,
            journal_entries,
            ocr_pages,
            ocr_pages_seen: AtomicU64::new(0),
        }
    }

    /// The text exposition, with the service's gauges read now.
    pub(crate) fn render(&self, service: &Service) -> Result<String, ApiError> {
        self.extraction_queue
            .set(i64::try_from(service.pending()).unwrap_or(i64::MAX));
        self.journal_entries
            .set(i64::try_from(service.journal().size()).unwrap_or(i64::MAX));
        let pages = service.ocr_pages();
        let seen = self.ocr_pages_seen.swap(pages, Ordering::Relaxed);
        self.ocr_pages.inc_by(pages.saturating_sub(seen));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(ApiError::internal)?;
        Ok(text)
    }
}

/// Counts and times every request by its route pattern (never its concrete path, which holds
/// ids).
pub(crate) async fn track(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // A fixed set of names: any other method would add a series per name sent.
    let method = match *request.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    };
    let upload = method == "POST" && (route.ends_with("/inbox") || route.ends_with("/documents"));
    let metrics = &state.metrics;
    metrics.in_flight.inc();
    if upload {
        metrics.uploads_in_flight.inc();
    }
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    metrics.in_flight.dec();
    if upload {
        metrics.uploads_in_flight.dec();
    }
    metrics
        .durations
        .get_or_create(&RouteLabels {
            method: method.to_owned(),
            route: route.clone(),
        })
        .observe(elapsed);
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method: method.to_owned(),
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}
