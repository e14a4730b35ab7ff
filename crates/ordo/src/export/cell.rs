//! One exported value, typed so each format can write it the way it should.

use std::fmt;
use std::sync::LazyLock;

use chrono::format::{Item, StrftimeItems};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub enum Cell {
    Empty,
    Text(String),
    /// An id, written as text.
    Uuid(Uuid),
    Int(i64),
    /// Money or a quantity: exact, written as a decimal number.
    Decimal(Decimal),
    Bool(bool),
    /// A stored UTC time, written in RFC 3339 to the microsecond.
    Time(NaiveDateTime),
}

/// RFC 3339 in UTC to the microsecond, as the API writes times; parsed once.
static RFC3339_MICROS: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| {
    StrftimeItems::new("%Y-%m-%dT%H:%M:%S%.6fZ")
        .parse_to_owned()
        .expect("a valid time format")
});

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    pub fn opt_text(value: Option<impl Into<String>>) -> Cell {
        value.map_or(Cell::Empty, |v| Cell::Text(v.into()))
    }

    pub fn opt_uuid(value: Option<Uuid>) -> Cell {
        value.map_or(Cell::Empty, Cell::Uuid)
    }

    pub fn opt_time(value: Option<NaiveDateTime>) -> Cell {
        value.map_or(Cell::Empty, Cell::Time)
    }

    pub fn opt_decimal(value: Option<Decimal>) -> Cell {
        value.map_or(Cell::Empty, Cell::Decimal)
    }

    /// The value as text (empty for no value).
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

/// The value as text (nothing for no value), written without building a string of its own.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Text(s) => f.write_str(s),
            Cell::Uuid(id) => id.fmt(f),
            Cell::Int(n) => n.fmt(f),
            Cell::Decimal(d) => d.fmt(f),
            Cell::Bool(b) => b.fmt(f),
            Cell::Time(t) => t.format_with_items(RFC3339_MICROS.iter()).fmt(f),
        }
    }
}

/// Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or carriage return
/// first) gets a leading `'`, so it shows as the text it is. Only free text is neutralised;
/// numbers the export itself writes (like `-5`) stay numbers.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_the_api_writes_them() {
        let at = NaiveDateTime::parse_from_str("2026-11-22 10:20:30.5", "%F %T%.f").unwrap();
        assert_eq!(
            Cell::Time(at).to_text(),
            at.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        );
        assert_eq!(Cell::Time(at).to_text(), "2026-11-22T10:20:30.500000Z");
    }

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_not() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tcmd"), "'\tcmd");
        assert_eq!(neutralise("Bolts"), "Bolts");
        assert_eq!(neutralise(""), "");
    }
}
