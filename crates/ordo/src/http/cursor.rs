//! Keyset ("cursor") pagination: a page continues after the last row of the previous one, so
//! deep pages cost the same as the first. The cursor is opaque to clients: base64url of the
//! sort it belongs to and the last row's sort value and id.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppError;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Cursor {
    /// The sort and direction this cursor continues, e.g. `createdAt:desc`.
    #[serde(rename = "s")]
    pub sort: String,
    /// The last row's sort value, as text.
    #[serde(rename = "v")]
    pub value: String,
    #[serde(rename = "i")]
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serializing three plain fields cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decodes `text`, which must continue the sort `sort`.
    pub fn decode(text: &str, sort: &str) -> Result<Cursor, AppError> {
        let invalid = || AppError::field("cursor", "is not a cursor this list handed out");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if cursor.sort != sort {
            return Err(AppError::field(
                "cursor",
                format!("belongs to the sort {}, not {sort}", cursor.sort),
            ));
        }
        Ok(cursor)
    }
}

/// A page of a list read by cursor: no totals (counting every match is what deep pages avoid).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_is_bound_to_its_sort() {
        let cursor = Cursor {
            sort: "createdAt:desc".into(),
            value: "2026-01-02T03:04:05.000006".into(),
            id: Uuid::now_v7(),
        };
        let text = cursor.encode();
        assert_eq!(Cursor::decode(&text, "createdAt:desc").unwrap(), cursor);
        assert!(Cursor::decode(&text, "createdAt:asc").is_err());
        assert!(Cursor::decode("not base64!", "createdAt:desc").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{}"), "createdAt:desc").is_err());
    }
}
