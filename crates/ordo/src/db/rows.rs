//! Many rows read by column position, for bulk reads (exports) where the cost of each row is
//! what counts.
//!
//! On SQLite the statement runs through the library's own API on a blocking thread, on a
//! connection borrowed from the read pool: values are read in place as the statement steps.
//! The pool's driver instead copies every value of every row and hands each row from its
//! connection's thread to the caller's, which costs more than SQLite's own work for a wide row.
//! On PostgreSQL and MySQL the statement runs through the pool as any other.

use std::sync::LazyLock;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::NaiveDateTime;
use rusqlite::types::{Value as Bound, ValueRef};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, QueryResult, Statement, Value,
};
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

/// Every row `stmt` selects, each turned into a `T` by `map`.
pub async fn select<T: Send + 'static>(
    db: &DatabaseConnection,
    stmt: Statement,
    map: impl Fn(&dyn RowValues) -> Result<T, DbErr> + Send + 'static,
) -> Result<Vec<T>, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return db
            .query_all(stmt)
            .await?
            .iter()
            .map(|row| map(row))
            .collect();
    }
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(|err| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(err)))?;
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut locked = runtime
            .block_on(conn.lock_handle())
            .map_err(|err| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(err)))?;
        // SAFETY: while `locked` lives the driver's thread makes no call on this handle, and a
        // connection made from a handle leaves it open when dropped; it is dropped (after the
        // statement, declared later) before `locked`.
        let sqlite = unsafe { rusqlite::Connection::from_handle(locked.as_raw_handle().as_ptr()) }
            .map_err(sqlite_err)?;
        let params: Vec<Bound> = stmt
            .values
            .map(|values| values.0.into_iter().map(bound).collect::<Result<_, _>>())
            .transpose()?
            .unwrap_or_default();
        let mut statement = sqlite.prepare(&stmt.sql).map_err(sqlite_err)?;
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(sqlite_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sqlite_err)? {
            out.push(map(row)?);
        }
        Ok(out)
    })
    .await
    .map_err(|err| DbErr::Custom(format!("the reading thread failed: {err}")))?
}

/// How the pool's driver writes a time on SQLite (`YYYY-MM-DD HH:MM:SS.ffffff`), parsed once.
static STORED_TIME: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| {
    StrftimeItems::new("%F %T%.f")
        .parse_to_owned()
        .expect("a valid time format")
});

fn parse_time(text: &str) -> Result<NaiveDateTime, chrono::ParseError> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, STORED_TIME.iter())?;
    parsed.to_naive_datetime_with_offset(0)
}

fn sqlite_err(err: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("SQLite: {err}"))
}

/// `value` as the pool's driver binds it on SQLite (so comparisons with stored values hold):
/// UUIDs as 16 bytes, times as `YYYY-MM-DD HH:MM:SS.ffffff` text.
fn bound(value: Value) -> Result<Bound, DbErr> {
    fn or_null<T>(value: Option<T>, bound: impl FnOnce(T) -> Bound) -> Bound {
        value.map_or(Bound::Null, bound)
    }
    Ok(match value {
        Value::Bool(v) => or_null(v, |b| Bound::Integer(b.into())),
        Value::TinyInt(v) => or_null(v, |n| Bound::Integer(n.into())),
        Value::SmallInt(v) => or_null(v, |n| Bound::Integer(n.into())),
        Value::Int(v) => or_null(v, |n| Bound::Integer(n.into())),
        Value::BigInt(v) => or_null(v, Bound::Integer),
        Value::TinyUnsigned(v) => or_null(v, |n| Bound::Integer(n.into())),
        Value::SmallUnsigned(v) => or_null(v, |n| Bound::Integer(n.into())),
        Value::Unsigned(v) => or_null(v, |n| Bound::Integer(n.into())),
        // As the pool binds it: reinterpreted, as SQLite has no unsigned integers.
        Value::BigUnsigned(v) => or_null(v, |n| Bound::Integer(n as i64)),
        Value::Float(v) => or_null(v, |n| Bound::Real(n.into())),
        Value::Double(v) => or_null(v, Bound::Real),
        Value::String(v) => or_null(v, |s| Bound::Text(*s)),
        Value::Char(v) => or_null(v, |c| Bound::Text(c.to_string())),
        Value::Bytes(v) => or_null(v, |b| Bound::Blob(*b)),
        Value::Uuid(v) => or_null(v, |u| Bound::Blob(u.as_bytes().to_vec())),
        Value::ChronoDateTime(v) => or_null(v, |t| {
            Bound::Text(t.format_with_items(STORED_TIME.iter()).to_string())
        }),
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

    #[test]
    fn values_are_bound_as_the_pool_binds_them() {
        let id = Uuid::now_v7();
        let at = NaiveDateTime::parse_from_str("2026-11-22 10:20:30.123456", "%F %T%.f").unwrap();
        assert_eq!(
            bound(Value::Uuid(Some(Box::new(id)))).unwrap(),
            Bound::Blob(id.as_bytes().to_vec())
        );
        assert_eq!(
            bound(Value::ChronoDateTime(Some(Box::new(at)))).unwrap(),
            Bound::Text("2026-11-22 10:20:30.123456".into())
        );
        assert_eq!(bound(Value::Bool(Some(true))).unwrap(), Bound::Integer(1));
        assert_eq!(
            bound(Value::BigUnsigned(Some(1000))).unwrap(),
            Bound::Integer(1000)
        );
        assert_eq!(bound(Value::String(None)).unwrap(), Bound::Null);
        assert!(bound(Value::Json(None)).is_err());
        assert_eq!(parse_time("2026-11-22 10:20:30.123456").unwrap(), at);
        assert_eq!(
            parse_time("2026-11-22 10:20:30").unwrap(),
            at.with_nanosecond(0).unwrap()
        );
    }
}
