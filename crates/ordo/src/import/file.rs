//! Reading an uploaded CSV: UTF-8 only (a byte-order mark is dropped, UTF-16 and other
//! encodings are refused naming the line), a header row, and rows kept with their line numbers.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{AppError, FieldError};

/// The most data rows one import may hold.
pub const MAX_ROWS: usize = 10_000;
/// The most columns, and the longest column name, a header may have.
const MAX_COLUMNS: usize = 100;
const MAX_COLUMN_NAME: usize = 100;

pub struct Row {
    /// Line of the file the row starts on (the header is line 1).
    pub line: u64,
    /// Column name to position in `values`, shared by all rows.
    columns: Arc<HashMap<String, usize>>,
    values: Vec<String>,
    /// Why the row cannot be read at all (e.g. a wrong number of fields).
    pub broken: Option<String>,
}

impl Row {
    /// The trimmed value of `column`, `None` when absent or empty.
    pub fn raw(&self, column: &str) -> Option<&str> {
        self.columns
            .get(column)
            .and_then(|i| self.values.get(*i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The value of `column` parsed as `T`; a value that does not parse is reported as not being
    /// `what` ("a number", "an RFC 3339 time" ...).
    pub fn parse<T: std::str::FromStr>(
        &self,
        column: &str,
        what: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<T> {
        let raw = self.raw(column)?;
        match raw.parse() {
            Ok(value) => Some(value),
            Err(_) => {
                errors.push(FieldError::new(column, format!("{raw:?} is not {what}")));
                None
            }
        }
    }

    /// Free text. A leading `'` that an export put before `= + - @` is removed again; text that
    /// a spreadsheet would run as a formula is refused.
    pub fn text(&self, column: &str, errors: &mut Vec<FieldError>) -> Option<String> {
        let value = self.raw(column)?;
        let mut chars = value.chars();
        match (chars.next(), chars.next()) {
            (Some('\''), Some('=' | '+' | '-' | '@')) => Some(value[1..].to_string()),
            (Some('=' | '+' | '@'), _) | (Some('-'), Some('=' | '+' | '-' | '@' | '(')) => {
                errors.push(FieldError::new(
                    column,
                    "looks like a spreadsheet formula (starts with = + - or @); put ' before it to mean the text",
                ));
                None
            }
            _ => Some(value.to_string()),
        }
    }
}

/// The rows of `body`, or a 400 saying what is wrong with the file as a whole.
pub fn read(body: &[u8], required: &[&str]) -> Result<Vec<Row>, AppError> {
    let file_error = |message: String| AppError::Validation(vec![FieldError::new("file", message)]);
    if body.starts_with(&[0xFF, 0xFE]) || body.starts_with(&[0xFE, 0xFF]) {
        return Err(file_error(
            "is UTF-16; save it as UTF-8 (CSV UTF-8) and upload again".into(),
        ));
    }
    let body = body.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(body);
    if let Err(err) = std::str::from_utf8(body) {
        let line = 1 + body[..err.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        return Err(file_error(format!(
            "line {line} is not UTF-8 text; save the file as UTF-8 (CSV UTF-8) and upload again"
        )));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(file_error("is empty".into()));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| file_error(format!("has no readable header row: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.len() > MAX_COLUMNS || header.iter().any(|h| h.chars().count() > MAX_COLUMN_NAME) {
        return Err(file_error(format!(
            "has more than {MAX_COLUMNS} columns or a column name over {MAX_COLUMN_NAME} characters"
        )));
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(file_error(format!(
            "lacks the column(s) {}; the export's header row names them",
            missing.join(", ")
        )));
    }
    let columns: Arc<HashMap<String, usize>> = Arc::new(
        header
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), i))
            .collect(),
    );
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            file_error(format!("line {line} cannot be read as CSV: {e}"))
        })?;
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(file_error(format!(
                "has more than {MAX_ROWS} rows; split it"
            )));
        }
        let line = record.position().map_or(0, |p| p.line());
        let broken = (record.len() != header.len()).then(|| {
            format!(
                "has {} fields where the header has {}",
                record.len(),
                header.len()
            )
        });
        rows.push(Row {
            line,
            columns: columns.clone(),
            values: record
                .iter()
                .take(header.len())
                .map(str::to_string)
                .collect(),
            broken,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_message(err: AppError) -> String {
        match err {
            AppError::Validation(details) => details[0].message.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn encodings_other_than_utf8_are_refused_with_their_line() {
        let latin1 = b"sku,name\nA,Caf\xe9\n";
        assert!(field_message(read(latin1, &["sku"]).err().unwrap()).starts_with("line 2 "));
        let utf16 = [0xFF, 0xFE, b's', 0, b'k', 0];
        assert!(field_message(read(&utf16, &["sku"]).err().unwrap()).contains("UTF-16"));
        let bom = b"\xEF\xBB\xBFsku,name\nA,Caf\xc3\xa9\n";
        let rows = read(bom, &["sku"]).unwrap();
        assert_eq!(rows[0].raw("name"), Some("Café"));
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn formulas_are_refused_and_neutralised_text_restored() {
        let rows = read(b"sku,name\nA,=1+1\nB,'=1+1\nC,-5 bolts\nD,-=x\n", &["sku"]).unwrap();
        let mut errors = Vec::new();
        assert_eq!(rows[0].text("name", &mut errors), None);
        assert_eq!(errors.len(), 1);
        assert_eq!(rows[1].text("name", &mut errors).as_deref(), Some("=1+1"));
        assert_eq!(
            rows[2].text("name", &mut errors).as_deref(),
            Some("-5 bolts")
        );
        assert_eq!(rows[3].text("name", &mut errors), None);
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn broken_files_name_what_is_wrong() {
        assert!(field_message(read(b"name\nx\n", &["sku"]).err().unwrap()).contains("sku"));
        let rows = read(b"sku,name\nA\nB,b,extra\nC,c\n", &["sku"]).unwrap();
        assert!(rows[0].broken.is_some() && rows[1].broken.is_some() && rows[2].broken.is_none());
        assert_eq!((rows[1].line, rows[2].line), (3, 4));
        assert!(field_message(read(b"  \n", &["sku"]).err().unwrap()).contains("empty"));
        let wide = (0..=MAX_COLUMNS)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let wide = format!("sku,{wide}\nA\n");
        assert!(field_message(read(wide.as_bytes(), &["sku"]).err().unwrap()).contains("columns"));
    }
}
