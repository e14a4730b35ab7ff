//! Streamed exports of orders, customers, products, stock movements and the audit log as CSV,
//! XLSX or NDJSON. Rows are read a page at a time by key (never OFFSET), encoded on a blocking
//! thread and sent as they are ready; the request holds a database connection only while it
//! reads a page, so exports never hold up other requests.

pub mod cell;
pub mod routes;
pub mod sink;
pub mod sources;
pub mod xlsx;

use std::fmt::Write as _;
use std::io::{self, Write};

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::AppResult;
use cell::{neutralise, Cell};
use sink::{Chunk, ChunkSink};
use tokio::sync::OwnedSemaphorePermit;

/// Rows read per query.
pub const PAGE: u64 = 1000;
/// Exports that may run at once; more answer 429 until one ends.
pub const MAX_RUNNING: usize = 8;
/// How long an export waits for a client that stopped reading before it gives up.
const STALLED_CLIENT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Csv,
    Xlsx,
    Ndjson,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `csv` (default), `xlsx` or `ndjson`.
    pub format: Option<Format>,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Ndjson => "ndjson",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Ndjson => "application/x-ndjson",
        }
    }
}

/// What is exported: its name (file and sheet), columns, and how to read the page after a key.
pub struct Export {
    pub name: &'static str,
    pub sheet: &'static str,
    pub columns: &'static [&'static str],
    pub next_page: PageFn,
}

/// Reads the rows after the given key (the first page for `None`), at most [`PAGE`] of them.
pub type PageFn = Box<dyn FnMut(Option<Uuid>) -> BoxFuture<'static, AppResult<Page>> + Send>;

/// A page as read: where the next one starts, and its rows, which may still be being completed
/// (an order page's items are read while the next page's orders are).
pub struct Page {
    pub len: usize,
    pub last: Option<Uuid>,
    pub rows: BoxFuture<'static, AppResult<Rows>>,
}

impl Page {
    /// A page whose rows are all read.
    pub fn ready(rows: Vec<(Uuid, Vec<Cell>)>) -> Page {
        let last = rows.last().map(|(key, _)| *key);
        let len = rows.len();
        let rows = rows.into_iter().map(|(_, cells)| cells).collect();
        Page {
            len,
            last,
            rows: Box::pin(std::future::ready(Ok(rows))),
        }
    }
}

/// A place among the exports that may run at once, or 429.
pub fn admit(state: &crate::state::AppState) -> AppResult<OwnedSemaphorePermit> {
    state
        .exports
        .clone()
        .try_acquire_owned()
        .map_err(|_| crate::error::AppError::RateLimited {
            retry_after_secs: 30,
        })
}

/// Pages read ahead of the encoder: the next page is read while the current one is encoded.
const PAGES_AHEAD: usize = 2;

/// A page of rows, each a list of cells in column order.
pub type Rows = Vec<Vec<Cell>>;

/// The streamed download of `export` in `format`; `permit` is held until it ends.
pub fn respond(format: Format, export: Export, permit: OwnedSemaphorePermit) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    let runtime = tokio::runtime::Handle::current();
    let Export {
        name,
        sheet,
        columns,
        next_page,
    } = export;
    let mut pages_rx = read_ahead(next_page);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let pages = || -> io::Result<Option<Rows>> {
            let read = match pages_rx.blocking_recv() {
                Some(Ok(None)) => return Ok(None),
                Some(Ok(Some(rows))) => match runtime.block_on(rows) {
                    Ok(read) => read,
                    Err(err) => {
                        tracing::error!(error = %err, "export stopped: a page's reader failed");
                        return Err(io::Error::other("export stopped"));
                    }
                },
                Some(Err(err)) => Err(err),
                // The reader ended without saying the last page was sent (it panicked or the
                // runtime is shutting down): a cut-off file must not look complete.
                None => {
                    tracing::error!("export stopped: the page reader ended early");
                    return Err(io::Error::other("export stopped"));
                }
            };
            read.map(Some).map_err(|err| {
                tracing::error!(error = %err, "export stopped: a page could not be read");
                io::Error::other("export stopped")
            })
        };
        let sink = ChunkSink::new(tx.clone(), runtime.clone(), STALLED_CLIENT);
        let result = match format {
            Format::Csv => write_csv(sink, columns, pages),
            Format::Ndjson => write_ndjson(sink, columns, pages),
            Format::Xlsx => xlsx::write(sink, sheet, columns, pages),
        };
        match result {
            Ok(mut sink) => {
                let _ = sink.flush();
            }
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
            Err(_) => {
                let _ = tx.blocking_send(Err(io::Error::other("export stopped")));
            }
        }
    });
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let file = format!(
        "{name}-{}.{}",
        chrono::Utc::now().format("%Y-%m-%d"),
        format.extension()
    );
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// A page's rows being completed by a task of their own.
type PageRows = tokio::task::JoinHandle<AppResult<Rows>>;

/// Reads pages in key order on the async runtime, [`PAGES_AHEAD`] ahead of whoever receives
/// them, and then `None` for the end; it stops after the end, after an error (which is passed
/// on), or as soon as the receiver is gone. Each page's rows are completed by a task of their
/// own, alongside the reading of the next page.
fn read_ahead(mut next_page: PageFn) -> tokio::sync::mpsc::Receiver<AppResult<Option<PageRows>>> {
    let (pages_tx, pages_rx) = tokio::sync::mpsc::channel(PAGES_AHEAD);
    tokio::spawn(async move {
        let mut after: Option<Uuid> = None;
        loop {
            let page = match next_page(after).await {
                Ok(page) => page,
                Err(err) => {
                    let _ = pages_tx.send(Err(err)).await;
                    return;
                }
            };
            let last_page = (page.len as u64) < PAGE;
            after = page.last;
            if page.len > 0
                && pages_tx
                    .send(Ok(Some(tokio::spawn(page.rows))))
                    .await
                    .is_err()
            {
                return;
            }
            if last_page {
                let _ = pages_tx.send(Ok(None)).await;
                return;
            }
        }
    });
    pages_rx
}

/// CSV with a header row; free text that a spreadsheet would run as a formula is neutralised.
fn write_csv<W: Write>(
    out: W,
    columns: &[&str],
    mut pages: impl FnMut() -> io::Result<Option<Rows>>,
) -> io::Result<W> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(columns)?;
    let mut text = String::new();
    while let Some(rows) = pages()? {
        for row in rows {
            for cell in &row {
                match cell {
                    Cell::Text(text) => writer.write_field(neutralise(text).as_bytes())?,
                    other => {
                        text.clear();
                        write!(text, "{other}").map_err(io::Error::other)?;
                        writer.write_field(&text)?;
                    }
                }
            }
            writer.write_record(None::<&[u8]>)?;
        }
    }
    writer.into_inner().map_err(|e| e.into_error())
}

/// One JSON object per line, keyed by column; decimals and times as strings, as in the API.
fn write_ndjson<W: Write>(
    out: W,
    columns: &[&str],
    mut pages: impl FnMut() -> io::Result<Option<Rows>>,
) -> io::Result<W> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    while let Some(rows) = pages()? {
        for row in rows {
            let mut object = serde_json::Map::with_capacity(columns.len());
            for (name, cell) in columns.iter().zip(row) {
                let value = match cell {
                    Cell::Empty => serde_json::Value::Null,
                    Cell::Int(n) => n.into(),
                    Cell::Bool(b) => b.into(),
                    Cell::Text(s) => s.into(),
                    other => other.to_text().into(),
                };
                object.insert((*name).to_string(), value);
            }
            serde_json::to_writer(&mut out, &object)?;
            out.write_all(b"\n")?;
        }
    }
    out.into_inner().map_err(|e| e.into_error())
}
