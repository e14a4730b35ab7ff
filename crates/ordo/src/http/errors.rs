//! Errors that do not come from a handler (unknown route, wrong method, body limit, timeout) get
//! the same JSON body as handler errors, so clients parse one shape for every 4xx/5xx.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{error_response, AppError};

fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "BAD_REQUEST",
        StatusCode::UNAUTHORIZED => "UNAUTHORIZED",
        StatusCode::FORBIDDEN => "FORBIDDEN",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::REQUEST_TIMEOUT => "REQUEST_TIMEOUT",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        StatusCode::TOO_MANY_REQUESTS => "RATE_LIMITED",
        s if s.is_server_error() => "INTERNAL_ERROR",
        _ => "ERROR",
    }
}

/// JSON errors from handlers and HTML error pages from the web pages are already what the
/// client expects; bare or plain-text bodies come from framework layers.
fn is_formatted(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"))
}

pub async fn normalize_error_bodies(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if status.as_u16() < 400 || is_formatted(&response) {
        return response;
    }
    let message = status.canonical_reason().unwrap_or("Error").to_string();
    let mut normalized = error_response(status, code_for(status), message, Vec::new());
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = response.headers().get(&name) {
            normalized.headers_mut().insert(name, value.clone());
        }
    }
    normalized
}

/// Unknown routes answer a JSON 404.
pub async fn not_found() -> AppError {
    AppError::NotFound("route")
}
