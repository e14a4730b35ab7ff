//! HTTP routes of the orders area.

mod bulk;
mod items;
mod lifecycle;
mod orders;

use axum::http::{header, HeaderMap, HeaderValue};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(orders::router())
        .merge(items::router())
        .merge(lifecycle::router())
        .merge(bulk::router())
}

/// The version in an `If-Match` header: `"3"`, `W/"3"` or `3`.
pub(crate) fn if_match(headers: &HeaderMap) -> AppResult<Option<i32>> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = value
        .to_str()
        .unwrap_or("")
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    raw.parse::<i32>()
        .map(Some)
        .map_err(|_| AppError::field("If-Match", "must be the order's version, e.g. \"3\""))
}

pub(crate) fn etag(version: i32) -> (header::HeaderName, HeaderValue) {
    (
        header::ETAG,
        HeaderValue::from_str(&format!("\"{version}\""))
            .unwrap_or(HeaderValue::from_static("\"0\"")),
    )
}
