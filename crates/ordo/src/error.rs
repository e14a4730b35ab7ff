//! The one error type of the server, mapped to HTTP in one place.
//!
//! Every 4xx/5xx carries the documented body:
//! `{"error":{"code":"...","message":"...","details":[{"field":"...","message":"..."}],"requestId":"..."}}`.
//! Internal errors are logged with their cause chain and answered with a bare 500.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::context::current_request_id;

#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The request field, in the request's own spelling (`email`, `items[2].quantity`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// The record's current state forbids the change (409), e.g. removing the last admin.
    #[error("{message}")]
    StateConflict { code: &'static str, message: String },
    #[error("{message}")]
    RuleViolation { code: &'static str, message: String },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Upstream(String),
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn state_conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::StateConflict {
            code,
            message: message.into(),
        }
    }

    pub fn rule(code: &'static str, message: impl Into<String>) -> Self {
        Self::RuleViolation {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } | Self::StateConflict { .. } => StatusCode::CONFLICT,
            Self::RuleViolation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "VALIDATION_ERROR",
            Self::BadRequest { code, .. }
            | Self::RuleViolation { code, .. }
            | Self::StateConflict { code, .. } => code,
            Self::Unauthorized(_) => "UNAUTHORIZED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict { .. } => "CONFLICT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Upstream(_) => "UPSTREAM_ERROR",
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `VALIDATION_ERROR`, `NOT_FOUND`, `CONFLICT`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Builds the documented error response; also used for errors raised outside handlers.
pub fn error_response(
    status: StatusCode,
    code: &str,
    message: String,
    details: Vec<FieldError>,
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_string(),
            message,
            details,
            request_id: current_request_id(),
        },
    };
    (status, axum::Json(body)).into_response()
}

impl AppError {
    /// The documented error body of this error; internal errors are logged here, and answer
    /// only a generic message.
    pub fn detail(&self) -> ErrorDetail {
        let (message, details) = match self {
            Self::Validation(details) => (
                "The request has invalid fields".to_string(),
                details.clone(),
            ),
            Self::Conflict {
                field: Some(field),
                message,
            } => (
                message.clone(),
                vec![FieldError::new(field.clone(), message.clone())],
            ),
            Self::Internal(err) => {
                tracing::error!(
                    error = format!("{err:#}"),
                    request_id = current_request_id().as_deref(),
                    "internal error"
                );
                ("An internal error occurred".to_string(), Vec::new())
            }
            other => (other.to_string(), Vec::new()),
        };
        ErrorDetail {
            code: self.code().to_string(),
            message,
            details,
            request_id: current_request_id(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = self.detail();
        let (code, message, details) = (detail.code, detail.message, detail.details);
        let mut response = error_response(status, &code, message, details);
        if let Self::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}

/// Unique constraints a client can run into, by index name (PostgreSQL, MySQL) and by the
/// `table.column` list SQLite reports, with the request field each one is about.
const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    ("uq_users_email", "users.email", "email"),
    ("uq_users_username", "users.username", "username"),
    ("uq_orders_number", "orders.number", "number"),
    ("uq_products_sku", "products.sku", "sku"),
    ("uq_customers_user", "customers.user_id", "userId"),
    (
        "uq_reference_entries_code",
        "reference_entries.kind, reference_entries.code",
        "code",
    ),
];

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if let Some(message) = crate::db::unique_violation(&err) {
            for (index, sqlite_columns, field) in UNIQUE_FIELDS {
                if message.contains(index) || message.contains(sqlite_columns) {
                    return AppError::conflict(field, format!("{field} is already taken"));
                }
            }
        }
        if crate::inventory::ledger::is_shortage(&err) {
            return crate::inventory::ledger::held_shortage();
        }
        if is_transient(&err) {
            tracing::warn!(error = %err, "transaction collided with another; the client may retry");
            return AppError::state_conflict(
                "TRY_AGAIN",
                "The change collided with a simultaneous one and was not made; try again",
            );
        }
        AppError::Internal(anyhow::Error::new(err).context("database error"))
    }
}

/// Deadlocks and serialization failures: the database undid the transaction, nothing was
/// written, and the same request may succeed if sent again.
fn is_transient(err: &DbErr) -> bool {
    let text = err.to_string();
    // MySQL/MariaDB 1213 (deadlock) and 1205 (lock wait timeout); PostgreSQL 40P01 and 40001.
    text.contains("1213 (40001)")
        || text.contains("Deadlock found")
        || text.contains("1205 (HY000)")
        || text.contains("deadlock detected")
        || text.contains("could not serialize access")
}
