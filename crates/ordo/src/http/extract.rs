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
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(AppError::Validation(vec![FieldError::new(
                "path",
                rejection.body_text(),
            )])),
        }
    }
}
