//! One exported value, typed so each format can write it the way it should.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

#[derive(Clone, Debug)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// Money or a quantity: exact, written as a decimal number.
    Decimal(Decimal),
    Bool(bool),
    /// A stored UTC time, written in RFC 3339.
    Time(NaiveDateTime),
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    pub fn opt_text(value: Option<impl Into<String>>) -> Cell {
        value.map_or(Cell::Empty, |v| Cell::Text(v.into()))
    }

    pub fn opt_time(value: Option<NaiveDateTime>) -> Cell {
        value.map_or(Cell::Empty, Cell::Time)
    }

    pub fn opt_decimal(value: Option<Decimal>) -> Cell {
        value.map_or(Cell::Empty, Cell::Decimal)
    }

    /// The value as text (empty for no value).
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Decimal(d) => d.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Time(t) => t
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
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
