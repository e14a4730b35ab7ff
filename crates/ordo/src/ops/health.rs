use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;

use crate::db::backend_name;
use crate::http::json::ApiJson;
use crate::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "`{status, version, uptimeSeconds}`", body = serde_json::Value)))]
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    ApiJson(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptimeSeconds": state.started_at.elapsed().as_secs(),
    }))
}

/// Readiness: 200 only when every dependency answers, 503 with each one's status otherwise.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "Ready; `components` lists each dependency", body = serde_json::Value),
        (status = 503, description = "A dependency is down", body = serde_json::Value)))]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let database = match tokio::time::timeout(std::time::Duration::from_secs(2), state.db.ping())
        .await
    {
        Ok(Ok(())) => json!({ "status": "up", "backend": backend_name(state.db.backend()) }),
        Ok(Err(_)) => {
            json!({ "status": "down", "backend": backend_name(state.db.backend()), "error": "query failed" })
        }
        Err(_) => {
            json!({ "status": "down", "backend": backend_name(state.db.backend()), "error": "timed out" })
        }
    };
    let up = database["status"] == "up";
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "status": if up { "ready" } else { "unavailable" }, "components": { "database": database } });
    (status, ApiJson(body))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics", content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let (open, idle) = state.db.pool_stats();
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(open, idle),
    )
}
