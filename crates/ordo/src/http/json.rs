//! A JSON body extractor whose rejections use the documented error body: 415 for a wrong content
//! type, 400 for malformed JSON, 400 with the offending field for wrong types or missing fields,
//! 413 over the body limit.

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{AppError, FieldError};

pub struct ApiJson<T>(pub T);

/// Room reserved for a response body before it is written: an order with its lines fits.
const BODY_ROOM: usize = 4096;

impl<T: Serialize> IntoResponse for ApiJson<T> {
    /// Written into a plain vector with room for a typical body, which then becomes the body as
    /// it is. Through the writer of a 128-byte buffer that grows as it goes, as `axum::Json`
    /// writes, an order took five reallocations and a call through `io::Write` for every
    /// quote, colon and comma. The writer is sonic-rs's: the same JSON as serde_json writes
    /// (tested below), with strings and keys scanned for escapes many bytes at a time.
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(BODY_ROOM);
        match sonic_rs::to_writer(&mut body, &self.0) {
            Ok(()) => {
                let json = HeaderValue::from_static("application/json");
                ([(CONTENT_TYPE, json)], body).into_response()
            }
            Err(err) => AppError::Internal(err.into()).into_response(),
        }
    }
}

fn is_json_content_type(request: &Request) -> bool {
    is_json_headers(request.headers())
}

/// Whether the headers declare a JSON body.
pub fn is_json_headers(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Turns a serde error path such as `items[2].quantity` into the field name clients sent.
fn field_of(path: &serde_path_to_error::Path) -> String {
    let rendered = path.to_string();
    if rendered == "." {
        String::new()
    } else {
        rendered
    }
}

/// Reads the whole body, honouring the configured limit.
pub async fn read_body(request: Request) -> Result<axum::body::Bytes, AppError> {
    axum::body::Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest {
                    code: "BAD_REQUEST",
                    message: rejection.body_text(),
                }
            }
        })
}

/// Whether the JSON text escapes a NUL character (`\u0000`, not an escaped backslash followed by
/// `u0000`). No text field accepts NUL, and PostgreSQL cannot store it.
fn escapes_nul(bytes: &[u8]) -> bool {
    let needle = b"\\u0000";
    bytes.windows(needle.len()).enumerate().any(|(i, window)| {
        window == needle && bytes[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

/// The path (`items[0].code`) of the first string that contains, or is keyed by, a NUL.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    match value {
        serde_json::Value::String(s) => s.contains('\0').then_some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(if path.is_empty() {
                    "body".into()
                } else {
                    path.clone()
                });
            }
            nul_path(
                v,
                if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                },
            )
        }),
        _ => None,
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if escapes_nul(bytes) {
        // Rare, so it may cost a second parse to name the field.
        let field = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| nul_path(&v, String::new()));
        return Err(AppError::Validation(vec![FieldError::new(
            field.unwrap_or_else(|| "body".into()),
            "must not contain NUL characters",
        )]));
    }

    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let field = field_of(err.path());
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                AppError::BadRequest {
                    code: "MALFORMED_JSON",
                    message: format!("The body is not valid JSON: {inner}"),
                }
            }
            _ => {
                let message = inner.to_string();
                // serde names a missing field only in its message: "missing field `email` at ..."
                let field = match (field.is_empty(), message.strip_prefix("missing field `")) {
                    (true, Some(rest)) => rest.split('`').next().unwrap_or_default().to_string(),
                    _ => field,
                };
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_string();
                AppError::Validation(vec![FieldError::new(
                    if field.is_empty() { "body" } else { &field },
                    message,
                )])
            }
        }
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(&request) {
            return Err(AppError::UnsupportedMediaType(
                "Expected Content-Type: application/json".into(),
            ));
        }
        let bytes = read_body(request).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// For optional fields where `null` means "clear it" and absence means "leave it":
/// `#[serde(default, with = "double_option")] field: Option<Option<T>>`.
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{escapes_nul, ApiJson};
    use axum::response::IntoResponse;
    use serde::Serialize;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Shown {
        plain_text: &'static str,
        escapes: String,
        unicode: &'static str,
        count: i64,
        large: u64,
        ratios: Vec<f64>,
        missing: Option<i32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<i32>,
        #[serde(with = "crate::time::iso")]
        at: chrono::DateTime<chrono::Utc>,
        amount: rust_decimal::Decimal,
        id: uuid::Uuid,
        by_priority: std::collections::BTreeMap<i32, i64>,
        #[serde(flatten)]
        extra: serde_json::Value,
    }

    /// Response bodies are written by sonic-rs: byte for byte what serde_json writes.
    #[tokio::test]
    async fn bodies_are_what_serde_json_writes() {
        let controls: String = (0u8..0x20).map(char::from).collect();
        let shown = Shown {
            plain_text: "an order line description longer than one SIMD block of bytes",
            escapes: format!("quote \" backslash \\ slash / {controls} del \u{7f} end"),
            unicode: "Größe 12 mm — Stahl ✓ 🚚 \u{2028}\u{2029}",
            count: i64::MIN,
            large: u64::MAX,
            ratios: vec![
                0.0,
                -0.0,
                0.1,
                1.0,
                2.5e-7,
                1e21,
                123_456.789,
                f64::MAX,
                f64::MIN_POSITIVE,
                f64::NAN,
                f64::INFINITY,
            ],
            missing: None,
            skipped: None,
            at: chrono::DateTime::from_timestamp(1_790_000_000, 123_456_000).unwrap(),
            amount: rust_decimal::Decimal::new(-300_553, 2),
            id: uuid::Uuid::now_v7(),
            by_priority: [(1, 12), (4, -3)].into(),
            extra: serde_json::json!({
                "attributes": { "grade": "S355", "nested": [1, 2.5, null, true, "x\ny"] },
                "empty": {}
            }),
        };
        let body = ApiJson(&shown).into_response().into_body();
        let written = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        assert_eq!(
            std::str::from_utf8(&written).unwrap(),
            serde_json::to_string(&shown).unwrap()
        );
    }

    #[test]
    fn finds_escaped_nul_but_not_escaped_backslashes() {
        assert!(escapes_nul(br#"{"a":"x\u0000y"}"#));
        assert!(escapes_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!escapes_nul(br#"{"a":"\\u0000"}"#));
        assert!(!escapes_nul(br#"{"a":"plain"}"#));
    }
}
