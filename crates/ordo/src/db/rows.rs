//! Many rows read by column position, for bulk reads (exports) where the cost of each row is
//! what counts.
//!
//! On SQLite the statement runs through the library's own API, on a read connection of
//! [`SqliteReaders`]: values are read in place as the statement steps. The pool's driver instead
//! copies every value of every row and hands each row from its connection's thread to the
//! caller's, which costs more than SQLite's own work for a wide row. On PostgreSQL and MySQL the
//! statement runs through the pool as any other.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::NaiveDateTime;
use rusqlite::types::{ToSqlOutput, Value as Bound, ValueRef};
use rusqlite::OpenFlags;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement, Value};
use tokio::sync::Semaphore;

use super::Db;
use uuid::Uuid;

/// The values of one row, by column position.
pub trait RowValues {
    fn text(&self, column: usize) -> Result<Option<String>, DbErr>;
    fn int(&self, column: usize) -> Result<Option<i64>, DbErr>;
    fn uuid(&self, column: usize) -> Result<Option<Uuid>, DbErr>;
    fn time(&self, column: usize) -> Result<Option<NaiveDateTime>, DbErr>;
    fn boolean(&self, column: usize) -> Result<Option<bool>, DbErr>;
}

/// The value a `NOT NULL` column cannot lack.
pub fn required<T>(value: Option<T>, column: usize) -> Result<T, DbErr> {
    value.ok_or_else(|| DbErr::Type(format!("column {column}: unexpected NULL")))
}

/// Reads bounded by a key (an order and its lines), made one after another. On SQLite they run
/// right here, on the async runtime's thread (see [`SqliteReaders`]), which serves no other
/// request until they are done, in one read transaction on one read connection: they all see
/// the database as of one moment, and the file's locks are taken once for all of them instead of
/// once for each. On PostgreSQL and MySQL each statement runs through the pool on its own.
pub struct KeyedReads<'a> {
    db: &'a Db,
    /// The read connection, inside its transaction, and where it goes back to.
    sqlite: Option<(&'a SqliteReaders, rusqlite::Connection)>,
}

impl<'a> KeyedReads<'a> {
    pub fn begin(db: &'a Db) -> Result<KeyedReads<'a>, DbErr> {
        let sqlite = match db.readers() {
            Some(readers) => {
                let conn = readers.take()?;
                execute_cached(&conn, "BEGIN").map_err(sqlite_err)?;
                Some((readers.as_ref(), conn))
            }
            None => None,
        };
        Ok(KeyedReads { db, sqlite })
    }

    /// Every row `stmt` selects, each turned into a `T` by `map`.
    pub async fn select<T>(
        &mut self,
        stmt: Statement,
        map: impl Fn(&dyn RowValues) -> Result<T, DbErr>,
    ) -> Result<Vec<T>, DbErr> {
        match &self.sqlite {
            Some((_, conn)) => run(conn, &stmt, &map),
            None => pooled(self.db, stmt, &map).await,
        }
    }
}

impl Drop for KeyedReads<'_> {
    fn drop(&mut self) {
        if let Some((readers, conn)) = self.sqlite.take() {
            // A connection left inside its transaction would answer every later read from this
            // moment's data, so one that cannot end it is closed instead of kept.
            if execute_cached(&conn, "COMMIT").is_ok() && conn.is_autocommit() {
                readers.put_back(conn);
            }
        }
    }
}

fn execute_cached(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute([])
}

/// Every row `stmt` selects, each turned into a `T` by `map`, for reads whose cost depends on the
/// data (lists, searches, export pages): on SQLite the statement runs on a blocking thread, so a
/// slow one holds up no other request.
pub async fn select_blocking<T: Send + 'static>(
    db: &Db,
    stmt: Statement,
    map: impl Fn(&dyn RowValues) -> Result<T, DbErr> + Send + 'static,
) -> Result<Vec<T>, DbErr> {
    match db.readers() {
        Some(readers) => {
            let permit = readers
                .blocking
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| DbErr::Custom("the read connections are closed".into()))?;
            let readers = readers.clone();
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                readers.select(&stmt, &map)
            })
            .await
            .map_err(|err| DbErr::Custom(format!("the reading thread failed: {err}")))?
        }
        None => pooled(db, stmt, &map).await,
    }
}

async fn pooled<T>(
    db: &Db,
    stmt: Statement,
    map: &impl Fn(&dyn RowValues) -> Result<T, DbErr>,
) -> Result<Vec<T>, DbErr> {
    db.conn()
        .query_all(stmt)
        .await?
        .iter()
        .map(|row| map(row))
        .collect()
}

/// Read connections to an SQLite database file, used on the thread that runs the statement.
/// The pool's driver gives each connection a thread of its own and hands every statement to it
/// and every row back: for a point read, those thread switches cost more than SQLite's own work.
/// Statements are prepared once per connection.
pub struct SqliteReaders {
    path: PathBuf,
    /// Idle connections, the most recently used last, each with when it was put back.
    idle: Mutex<Vec<(rusqlite::Connection, Instant)>>,
    /// Idle connections kept; more are opened while more statements run at once.
    keep: usize,
    /// Places for statements on blocking threads: without a bound, every concurrent list would
    /// take a thread and a connection (with its page cache) of its own.
    blocking: Arc<Semaphore>,
}
/// Prepared statements kept per read connection.
const CACHED_STATEMENTS: usize = 64;

impl SqliteReaders {
    /// At most `at_once` statements run on blocking threads at a time; the async runtime's
    /// threads run the others, one each.
    pub fn new(path: PathBuf, at_once: usize) -> SqliteReaders {
        SqliteReaders {
            path,
            idle: Mutex::new(Vec::new()),
            keep: at_once + 2,
            blocking: Arc::new(Semaphore::new(at_once)),
        }
    }

    fn select<T>(
        &self,
        stmt: &Statement,
        map: &impl Fn(&dyn RowValues) -> Result<T, DbErr>,
    ) -> Result<Vec<T>, DbErr> {
        let conn = self.take()?;
        let rows = run(&conn, stmt, map);
        self.put_back(conn);
        rows
    }

    /// Keeps `conn` for the next statement, unless enough are idle already.
    fn put_back(&self, conn: rusqlite::Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.keep {
            idle.push((conn, Instant::now()));
        }
    }

    /// Closes the connections idle for longer than `longer_than`, with their page caches and
    /// prepared statements (a few megabytes each), and answers how many. After a burst of
    /// concurrent reads only those still in use stay open.
    pub fn close_idle(&self, longer_than: Duration) -> usize {
        let closing: Vec<_> = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            // The least recently used come first.
            let stale = idle
                .iter()
                .take_while(|(_, since)| since.elapsed() > longer_than)
                .count();
            idle.drain(..stale).collect()
        };
        closing.len()
    }

    fn take(&self) -> Result<rusqlite::Connection, DbErr> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some((conn, _)) = idle {
            return Ok(conn);
        }
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite_err)?;
        // Readers of a WAL database wait only in rare cases (another process recovering or
        // vacuuming it); a statement on the runtime's thread must not hold it for long then.
        conn.busy_timeout(Duration::from_secs(1))
            .map_err(sqlite_err)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(sqlite_err)?;
        // As the pool's connections: sorts and temporary results in memory.
        conn.pragma_update(None, "temp_store", "memory")
            .map_err(sqlite_err)?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(conn)
    }
}

fn run<T>(
    conn: &rusqlite::Connection,
    stmt: &Statement,
    map: &impl Fn(&dyn RowValues) -> Result<T, DbErr>,
) -> Result<Vec<T>, DbErr> {
    let params: Vec<ToSqlOutput<'_>> = match &stmt.values {
        Some(values) => values.0.iter().map(bound).collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let mut statement = conn.prepare_cached(&stmt.sql).map_err(sqlite_err)?;
    let mut rows = statement
        .query(rusqlite::params_from_iter(params))
        .map_err(sqlite_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_err)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// How the pool's driver writes a time on SQLite (`YYYY-MM-DD HH:MM:SS.ffffff`), parsed once.
static STORED_TIME: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| {
    StrftimeItems::new("%F %T%.f")
        .parse_to_owned()
        .expect("a valid time format")
});

fn parse_time(text: &str) -> Result<NaiveDateTime, chrono::ParseError> {
    if let Some(at) = parse_stored_time(text.as_bytes()) {
        return Ok(at);
    }
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, STORED_TIME.iter())?;
    parsed.to_naive_datetime_with_offset(0)
}

/// The stored form read digit by digit, or `None` for anything else (left to chrono, which says
/// what is wrong). chrono's general parser took a twentieth of an order read's instructions.
fn parse_stored_time(text: &[u8]) -> Option<NaiveDateTime> {
    let number = |range: std::ops::Range<usize>| {
        text.get(range)?.iter().try_fold(0u32, |value, byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u32::from(byte - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if !separators
        .iter()
        .all(|(at, byte)| text.get(*at) == Some(byte))
    {
        return None;
    }
    let nanos = match text.len() {
        19 => 0,
        length @ 21..=29 if text[19] == b'.' => {
            number(20..length)? * 10u32.pow((29 - length) as u32)
        }
        _ => return None,
    };
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(0..4)?).ok()?,
        number(5..7)?,
        number(8..10)?,
    )?;
    date.and_hms_nano_opt(number(11..13)?, number(14..16)?, number(17..19)?, nanos)
}

/// What [`sqlite_err`]'s messages start with.
const FROM_SQLITE: &str = "SQLite: ";

pub(super) fn sqlite_err(err: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("{FROM_SQLITE}{err}"))
}

/// The message of a clash on a unique column or primary key reported by [`sqlite_err`].
pub(super) fn unique_violation(err: &DbErr) -> Option<String> {
    let DbErr::Custom(message) = err else {
        return None;
    };
    message
        .strip_prefix(FROM_SQLITE)
        .filter(|message| message.starts_with("UNIQUE constraint failed"))
        .map(str::to_string)
}

/// `value` as the pool's driver binds it on SQLite (so comparisons with stored values hold):
/// UUIDs as 16 bytes, times as `YYYY-MM-DD HH:MM:SS.ffffff` text, dates as `YYYY-MM-DD`, JSON as
/// its text. Text, bytes and UUIDs are lent from `value`, not cloned first: the writers bind
/// thousands of them a second.
pub(super) fn bound(value: &Value) -> Result<ToSqlOutput<'_>, DbErr> {
    fn or_null<T>(value: &Option<T>, bound: impl FnOnce(&T) -> Bound) -> ToSqlOutput<'static> {
        ToSqlOutput::Owned(value.as_ref().map_or(Bound::Null, bound))
    }
    fn lent<T: ?Sized>(
        value: &Option<Box<T>>,
        bound: impl FnOnce(&T) -> ValueRef<'_>,
    ) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(value.as_deref().map_or(ValueRef::Null, bound))
    }
    Ok(match value {
        Value::Bool(v) => or_null(v, |b| Bound::Integer((*b).into())),
        Value::TinyInt(v) => or_null(v, |n| Bound::Integer((*n).into())),
        Value::SmallInt(v) => or_null(v, |n| Bound::Integer((*n).into())),
        Value::Int(v) => or_null(v, |n| Bound::Integer((*n).into())),
        Value::BigInt(v) => or_null(v, |n| Bound::Integer(*n)),
        Value::TinyUnsigned(v) => or_null(v, |n| Bound::Integer((*n).into())),
        Value::SmallUnsigned(v) => or_null(v, |n| Bound::Integer((*n).into())),
        Value::Unsigned(v) => or_null(v, |n| Bound::Integer((*n).into())),
        // As the pool binds it: reinterpreted, as SQLite has no unsigned integers.
        Value::BigUnsigned(v) => or_null(v, |n| Bound::Integer(*n as i64)),
        Value::Float(v) => or_null(v, |n| Bound::Real((*n).into())),
        Value::Double(v) => or_null(v, |n| Bound::Real(*n)),
        Value::String(v) => lent(v, |s| ValueRef::Text(s.as_bytes())),
        Value::Char(v) => or_null(v, |c| Bound::Text(c.to_string())),
        Value::Bytes(v) => lent(v, |b| ValueRef::Blob(b)),
        Value::Uuid(v) => lent(v, |u| ValueRef::Blob(u.as_bytes())),
        Value::ChronoDateTime(v) => or_null(v, |t| {
            Bound::Text(t.format_with_items(STORED_TIME.iter()).to_string())
        }),
        Value::ChronoDate(v) => or_null(v, |d| Bound::Text(d.format("%F").to_string())),
        Value::Json(v) => or_null(v, |j| Bound::Text(j.to_string())),
        other => {
            return Err(DbErr::Custom(format!(
                "a {other:?} is not read this way on SQLite"
            )))
        }
    })
}

impl RowValues for QueryResult {
    fn text(&self, column: usize) -> Result<Option<String>, DbErr> {
        self.try_get_by_index(column)
    }

    fn int(&self, column: usize) -> Result<Option<i64>, DbErr> {
        // PostgreSQL tells 32-bit integers from 64-bit ones and decodes each only as itself.
        self.try_get_by_index(column).or_else(|_| {
            self.try_get_by_index::<Option<i32>>(column)
                .map(|n| n.map(i64::from))
        })
    }

    fn uuid(&self, column: usize) -> Result<Option<Uuid>, DbErr> {
        self.try_get_by_index(column)
    }

    fn time(&self, column: usize) -> Result<Option<NaiveDateTime>, DbErr> {
        self.try_get_by_index(column)
    }

    fn boolean(&self, column: usize) -> Result<Option<bool>, DbErr> {
        self.try_get_by_index(column)
    }
}

impl RowValues for rusqlite::Row<'_> {
    fn text(&self, column: usize) -> Result<Option<String>, DbErr> {
        match self.get_ref(column).map_err(sqlite_err)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(text) => std::str::from_utf8(text)
                .map(|text| Some(text.to_owned()))
                .map_err(|err| unexpected(column, err)),
            other => Err(unexpected(column, other.data_type())),
        }
    }

    fn int(&self, column: usize) -> Result<Option<i64>, DbErr> {
        match self.get_ref(column).map_err(sqlite_err)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(n) => Ok(Some(n)),
            other => Err(unexpected(column, other.data_type())),
        }
    }

    fn uuid(&self, column: usize) -> Result<Option<Uuid>, DbErr> {
        match self.get_ref(column).map_err(sqlite_err)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(bytes) => Uuid::from_slice(bytes)
                .map(Some)
                .map_err(|err| unexpected(column, err)),
            other => Err(unexpected(column, other.data_type())),
        }
    }

    fn time(&self, column: usize) -> Result<Option<NaiveDateTime>, DbErr> {
        match self.get_ref(column).map_err(sqlite_err)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(text) => {
                let text = std::str::from_utf8(text).map_err(|err| unexpected(column, err))?;
                // As bound above; the `T` form is what other tools write.
                parse_time(text)
                    .or_else(|_| text.parse())
                    .map(Some)
                    .map_err(|err| unexpected(column, err))
            }
            other => Err(unexpected(column, other.data_type())),
        }
    }

    fn boolean(&self, column: usize) -> Result<Option<bool>, DbErr> {
        Ok(self.int(column)?.map(|n| n != 0))
    }
}

fn unexpected(column: usize, what: impl std::fmt::Debug) -> DbErr {
    DbErr::Type(format!("column {column}: unexpected {what:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    /// Only connections idle for longer than asked are closed; the recently used stay open.
    #[test]
    fn read_connections_idle_too_long_are_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readers.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (n INTEGER)")
            .unwrap();
        let readers = SqliteReaders::new(path, 4);
        let long_idle = readers.take().unwrap();
        let just_used = readers.take().unwrap();
        readers.put_back(long_idle);
        std::thread::sleep(Duration::from_millis(300));
        readers.put_back(just_used);
        let idle_for = Duration::from_millis(200);
        assert_eq!(readers.close_idle(idle_for), 1);
        assert_eq!(readers.idle.lock().unwrap().len(), 1);
        assert_eq!(readers.close_idle(idle_for), 0);
        assert_eq!(readers.close_idle(Duration::ZERO), 1);
        assert!(readers.idle.lock().unwrap().is_empty());
    }

    /// Keyed reads see one moment of the database, and their connection goes back to the idle
    /// set out of its transaction: the next reads see what was written meanwhile.
    #[tokio::test]
    async fn keyed_reads_share_one_snapshot_and_leave_no_transaction_open() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("keyed.db").display());
        let db = Db::connect(&url, 2).await.unwrap();
        let write = |sql: &'static str| db.conn().execute_unprepared(sql);
        write("CREATE TABLE t (n INTEGER)").await.unwrap();
        write("INSERT INTO t VALUES (1)").await.unwrap();
        let count =
            || Statement::from_string(sea_orm::DatabaseBackend::Sqlite, "SELECT count(*) FROM t");
        let mut reads = KeyedReads::begin(&db).unwrap();
        let first = reads.select(count(), |row| row.int(0)).await.unwrap();
        write("INSERT INTO t VALUES (2)").await.unwrap();
        let again = reads.select(count(), |row| row.int(0)).await.unwrap();
        assert_eq!((first, again), (vec![Some(1)], vec![Some(1)]));
        drop(reads);
        let readers = db.readers().unwrap();
        assert_eq!(readers.idle.lock().unwrap().len(), 1);
        let mut reads = KeyedReads::begin(&db).unwrap();
        let after = reads.select(count(), |row| row.int(0)).await.unwrap();
        assert_eq!(after, vec![Some(2)]);
    }

    #[test]
    fn values_are_bound_as_the_pool_binds_them() {
        let id = Uuid::now_v7();
        let at = NaiveDateTime::parse_from_str("2026-11-22 10:20:30.123456", "%F %T%.f").unwrap();
        assert_eq!(
            bound(&Value::Uuid(Some(Box::new(id)))).unwrap(),
            ToSqlOutput::Borrowed(ValueRef::Blob(id.as_bytes()))
        );
        assert_eq!(
            bound(&Value::ChronoDateTime(Some(Box::new(at)))).unwrap(),
            ToSqlOutput::Owned(Bound::Text("2026-11-22 10:20:30.123456".into()))
        );
        assert_eq!(
            bound(&Value::Bool(Some(true))).unwrap(),
            ToSqlOutput::Owned(Bound::Integer(1))
        );
        assert_eq!(
            bound(&Value::BigUnsigned(Some(1000))).unwrap(),
            ToSqlOutput::Owned(Bound::Integer(1000))
        );
        assert_eq!(
            bound(&Value::String(None)).unwrap(),
            ToSqlOutput::Borrowed(ValueRef::Null)
        );
        assert_eq!(
            bound(&Value::Json(Some(Box::new(serde_json::json!({ "a": 1 }))))).unwrap(),
            ToSqlOutput::Owned(Bound::Text(r#"{"a":1}"#.into()))
        );
        assert_eq!(
            bound(&Value::String(Some(Box::new("plate".into())))).unwrap(),
            ToSqlOutput::Borrowed(ValueRef::Text(b"plate"))
        );
        assert_eq!(
            bound(&Value::Bytes(Some(Box::new(vec![1, 2])))).unwrap(),
            ToSqlOutput::Borrowed(ValueRef::Blob(&[1, 2]))
        );
        assert!(bound(&Value::ChronoTime(None)).is_err());
        assert_eq!(parse_time("2026-11-22 10:20:30.123456").unwrap(), at);
        assert_eq!(parse_stored_time(b"2026-11-22 10:20:30.123456"), Some(at));
        assert_eq!(
            parse_time("2026-11-22 10:20:30").unwrap(),
            at.with_nanosecond(0).unwrap()
        );
    }

    #[test]
    fn stored_times_read_digit_by_digit_as_chrono_reads_them() {
        let forms = [
            "2026-11-22 10:20:30",
            "2026-11-22 10:20:30.1",
            "2026-11-22 10:20:30.123",
            "1999-02-28 23:59:59.999999",
            "2024-02-29 00:00:00.000001",
            "2026-11-22 10:20:30.123456789",
        ];
        for form in forms {
            let mut parsed = Parsed::new();
            chrono::format::parse(&mut parsed, form, STORED_TIME.iter()).unwrap();
            let by_chrono = parsed.to_naive_datetime_with_offset(0).unwrap();
            assert_eq!(
                parse_stored_time(form.as_bytes()),
                Some(by_chrono),
                "{form}"
            );
        }
        let refused = [
            "2026-11-22T10:20:30",
            "2026-11-22 10:20:30.",
            "2026-11-22 10:20:30.1234567890",
            "2026-02-30 10:20:30",
            "2026-11-22 24:00:00",
            "2026-11-22 10:20:3x",
            "2026-11-22 10:20",
            "+2026-11-22 10:20:30",
        ];
        for form in refused {
            assert_eq!(parse_stored_time(form.as_bytes()), None, "{form}");
        }
        // What the fast path leaves is still read as before.
        assert!(parse_time("2026-11-22 10:20:30.").is_err());
    }
}
