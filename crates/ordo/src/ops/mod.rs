//! Operations endpoints: liveness, readiness, metrics, the OpenAPI document and its docs page.

mod docs;
mod health;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub use docs::{openapi_document, OpenApiDocument};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(docs::openapi_json))
        .routes(routes!(docs::docs_page))
}
