//! Query and path extractors that reject with the documented error body (400 naming the field).

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if contains_encoded_nul(query) {
            return Err(AppError::Validation(vec![FieldError::new(
                "query",
                "must not contain NUL characters",
            )]));
        }
        let deserializer =
            serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        match serde_path_to_error::deserialize(deserializer) {
            Ok(value) => Ok(ApiQuery(value)),
            Err(err) => {
                let field = err.path().to_string();
                let message = err.into_inner().to_string();
                Err(AppError::Validation(vec![FieldError::new(
                    if field == "." {
                        "query".to_string()
                    } else {
                        field
                    },
                    message,
                )]))
            }
        }
    }
}

pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if contains_encoded_nul(parts.uri.path()) {
            return Err(AppError::Validation(vec![FieldError::new(
                "path",
                "must not contain NUL characters",
            )]));
        }
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(AppError::Validation(vec![FieldError::new(
                "path",
                rejection.body_text(),
            )])),
        }
    }
}

/// `%00` anywhere in a URL part: no parameter accepts NUL, and PostgreSQL cannot store it.
fn contains_encoded_nul(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}
