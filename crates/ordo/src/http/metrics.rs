//! Prometheus metrics: requests by route template and status, latency histogram, DB pool use.
//!
//! Labels use the matched route template (`/api/v1/admin/users/{id}`), never the raw path, so the
//! number of series stays bounded.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: MethodLabel,
    route: RouteLabel,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: MethodLabel,
    route: RouteLabel,
}

/// The request's method, as a label: shared, not copied into a new string for every request.
/// Methods outside HTTP's own (any token a client sends) are all `OTHER`, so that they cannot
/// add series without bound.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct MethodLabel(Option<Method>);

impl MethodLabel {
    fn of(method: &Method) -> MethodLabel {
        static KNOWN: [Method; 9] = [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
            Method::CONNECT,
            Method::TRACE,
        ];
        MethodLabel(KNOWN.contains(method).then(|| method.clone()))
    }
}

impl EncodeLabelValue for MethodLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.0.as_ref().map_or("OTHER", Method::as_str))
    }
}

/// The matched route's template (a counted reference to the router's own text), or none.
#[derive(Clone, Debug)]
struct RouteLabel(Option<MatchedPath>);

impl RouteLabel {
    fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

impl PartialEq for RouteLabel {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RouteLabel {}

impl Hash for RouteLabel {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for RouteLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool: Family<PoolLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ordo");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by state",
            pool.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            pool,
        }
    }
}

impl Metrics {
    fn observe(&self, method: MethodLabel, route: RouteLabel, status: u16, seconds: f64) {
        let by_route = RouteLabels { method, route };
        self.latency.get_or_create(&by_route).observe(seconds);
        let RouteLabels { method, route } = by_route;
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// Renders the text exposition format, with pool gauges read at scrape time.
    pub fn render(&self, pool_size: u32, pool_idle: usize) -> String {
        self.pool
            .get_or_create(&PoolLabels { state: "open" })
            .set(i64::from(pool_size));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(pool_idle as i64);
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

pub type SharedMetrics = Arc<Metrics>;

pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = MethodLabel::of(request.method());
    let route = RouteLabel(request.extensions().get::<MatchedPath>().cloned());
    let response = next.run(request).await;
    state.metrics.observe(
        method,
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
