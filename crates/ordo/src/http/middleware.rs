//! The middleware stack every route shares, in one place so its order is visible.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::{Extension, Router};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::context::{request_context, RequestContext};
use super::{errors, metrics};
use crate::ops::OpenApiDocument;
use crate::state::AppState;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// The cross-origin rules, when any browser origin is allowed. With none (the default) the API is
/// for its own web app alone: without the layer a preflight (`OPTIONS`) is refused as any
/// unknown method is (405), and no response carries `Vary: origin` or other cross-origin headers,
/// which allowed nothing (the layer was also cloned, with its lists, several times a request).
fn cors(state: &AppState) -> Option<CorsLayer> {
    if state.settings.cors_origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = state
        .settings
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    let layer = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            super::context::REQUEST_ID.clone(),
            header::ETAG,
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(3600));
    Some(layer)
}

fn request_span(request: &Request) -> tracing::Span {
    let request_id = request
        .extensions()
        .get::<RequestContext>()
        .map(|c| c.request_id.as_str())
        .unwrap_or("");
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str())
        .unwrap_or("unmatched");
    // Written with `%`, as text: a plain `str` field would be written as `Debug`, escaped one
    // character at a time.
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        request_id = %request_id
    )
}

/// The headers that tell browsers what this site's pages may do, on every response (error
/// bodies included). A page that needs its own policy sets it and keeps it.
fn secure(headers: &mut HeaderMap, hsts: bool) {
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

/// Wraps `router` (all routes and the fallback) in the shared layers, listed outermost first:
/// the request context is outermost so every error body and log line names the request.
///
/// They are stacked into one layer before the router gets them. The router wraps each layer it
/// is given in a boxed service of its own and clones the whole chain for every request, so a
/// dozen layers given one by one cost a dozen allocations a request, a tenth of an order read.
/// `openapi` is the API's description, for the routes that serve it.
pub fn apply(
    router: Router<AppState>,
    state: &AppState,
    openapi: OpenApiDocument,
) -> Router<AppState> {
    let settings = &state.settings;
    let hsts = settings.hsts;
    let shared = ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_context,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .map_response(move |mut response: Response| {
            secure(response.headers_mut(), hsts);
            response
        })
        .layer(axum::middleware::from_fn(errors::normalize_error_bodies))
        .option_layer(cors(state))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(settings.request_timeout_secs),
        ))
        .layer(DefaultBodyLimit::max(settings.body_limit_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(Extension(openapi));
    router.layer(shared)
}
