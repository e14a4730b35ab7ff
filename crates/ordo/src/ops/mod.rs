//! Operations endpoints: liveness, readiness, metrics, the OpenAPI document and its docs page.

mod docs;
mod health;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

pub use docs::openapi_document;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/api/v1/openapi.json", get(docs::openapi_json))
        .route("/docs", get(docs::docs_page))
}
