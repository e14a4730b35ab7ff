//! A minimal streamed XLSX workbook: the sheets are written row by row into a ZIP with data
//! descriptors (so nothing needs seeking back), and the parts that list the sheets come last.
//! Text goes in as inline strings, which spreadsheets never evaluate as formulas.

use std::io::{self, Write};

use flate2::write::DeflateEncoder;
use flate2::Compression;
use rawzip::{CompressionMethod, ZipArchiveWriter};

use super::cell::Cell;
use super::Rows;

/// Rows per sheet, the header included (the format's limit).
const MAX_ROWS: usize = 1_048_576;

const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_END: &str = "</sheetData></worksheet>";

fn zip_err(err: rawzip::Error) -> io::Error {
    io::Error::other(err.to_string())
}

/// Writes `pages` as a workbook to `out`; more rows than a sheet holds continue on another.
pub fn write<W: Write>(
    out: W,
    sheet: &str,
    columns: &[&str],
    mut next_page: impl FnMut() -> io::Result<Option<Rows>>,
) -> io::Result<W> {
    let mut archive = ZipArchiveWriter::new(out);
    let mut sheets = 0usize;
    let mut pending: Option<Rows> = None;
    let mut exhausted = false;
    while sheets == 0 || !exhausted {
        sheets += 1;
        let name = format!("xl/worksheets/sheet{sheets}.xml");
        let (mut entry, config) = archive
            .new_file(&name)
            .compression_method(CompressionMethod::Deflate)
            .start()
            .map_err(zip_err)?;
        let encoder = DeflateEncoder::new(&mut entry, Compression::fast());
        let mut writer = io::BufWriter::with_capacity(64 * 1024, config.wrap(encoder));
        writer.write_all(SHEET_START.as_bytes())?;
        let header: Vec<Cell> = columns.iter().map(|c| Cell::text(*c)).collect();
        write_row(&mut writer, &header)?;
        let mut rows = 1;
        loop {
            let page = match pending.take() {
                Some(page) => page,
                None => match next_page()? {
                    Some(page) => page,
                    None => {
                        exhausted = true;
                        break;
                    }
                },
            };
            let room = MAX_ROWS - rows;
            if page.len() > room {
                let (now, later) = split(page, room);
                for row in &now {
                    write_row(&mut writer, row)?;
                }
                pending = Some(later);
                break;
            }
            rows += page.len();
            for row in &page {
                write_row(&mut writer, row)?;
            }
        }
        writer.write_all(SHEET_END.as_bytes())?;
        let data = writer.into_inner().map_err(|e| e.into_error())?;
        let (encoder, output) = data.finish().map_err(zip_err)?;
        encoder.finish()?;
        entry.finish(output).map_err(zip_err)?;
    }
    for (name, content) in package_parts(sheet, sheets) {
        let (mut entry, config) = archive
            .new_file(&name)
            .compression_method(CompressionMethod::Deflate)
            .start()
            .map_err(zip_err)?;
        let mut writer = config.wrap(DeflateEncoder::new(&mut entry, Compression::fast()));
        writer.write_all(content.as_bytes())?;
        let (encoder, output) = writer.finish().map_err(zip_err)?;
        encoder.finish()?;
        entry.finish(output).map_err(zip_err)?;
    }
    archive.finish().map_err(zip_err)
}

fn split(mut page: Rows, at: usize) -> (Rows, Rows) {
    let later = page.split_off(at);
    (page, later)
}

fn write_row(out: &mut impl Write, cells: &[Cell]) -> io::Result<()> {
    out.write_all(b"<row>")?;
    for cell in cells {
        match cell {
            Cell::Empty => out.write_all(b"<c/>")?,
            Cell::Int(n) => write!(out, "<c><v>{n}</v></c>")?,
            Cell::Decimal(d) => write!(out, "<c><v>{d}</v></c>")?,
            Cell::Bool(b) => write!(out, "<c t=\"b\"><v>{}</v></c>", u8::from(*b))?,
            other => {
                out.write_all(b"<c t=\"inlineStr\"><is><t xml:space=\"preserve\">")?;
                match other {
                    Cell::Text(text) => write_escaped(out, text)?,
                    other => write_escaped(out, &other.to_text())?,
                }
                out.write_all(b"</t></is></c>")?;
            }
        }
    }
    out.write_all(b"</row>")
}

/// XML-escapes `text`, dropping the control characters XML 1.0 cannot carry.
fn write_escaped(out: &mut impl Write, text: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, ch) in text.char_indices() {
        let replacement = match ch {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\t' | '\n' | '\r' => continue,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => "",
            _ => continue,
        };
        out.write_all(&text.as_bytes()[start..i])?;
        out.write_all(replacement.as_bytes())?;
        start = i + ch.len_utf8();
    }
    out.write_all(&text.as_bytes()[start..])
}

/// The parts that tie the sheets into a workbook.
fn package_parts(sheet: &str, sheets: usize) -> Vec<(String, String)> {
    let mut names = String::new();
    let mut rels = String::new();
    let mut overrides = String::new();
    for n in 1..=sheets {
        let title = if sheets == 1 {
            sheet.to_string()
        } else {
            format!("{sheet} {n}")
        };
        names.push_str(&format!(
            r#"<sheet name="{title}" sheetId="{n}" r:id="rId{n}"/>"#
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
        overrides.push_str(&format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        ));
    }
    vec![
        (
            "xl/workbook.xml".into(),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{names}</sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
            ),
        ),
        (
            "_rels/.rels".into(),
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
                .into(),
        ),
        (
            "[Content_Types].xml".into(),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_text_and_drops_what_xml_cannot_hold() {
        let mut out = Vec::new();
        write_escaped(&mut out, "a<b & \"c\"\u{1}\td>").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a&lt;b &amp; &quot;c&quot;\td&gt;"
        );
    }
}
