//! Human order numbers: `{prefix}{year}-{sequence}`, e.g. `ORD-2026-000042`, from a counter row
//! per prefix and year that the database serializes (the UPDATE locks the row until commit).

use chrono::{Datelike, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, Set,
    Statement, TransactionTrait,
};

use crate::db::Deferring;
use crate::error::{AppError, AppResult};
use crate::orders::entity::order;
use crate::orders::entity::sequence::{self, Column};

/// This year's series for `prefix`.
fn series_name(prefix: &str) -> String {
    format!("{prefix}{}", Utc::now().year())
}

/// Creates the counter row of series `name` if it is missing, without a failing statement (which
/// would abort the transaction on PostgreSQL): a concurrent creator's row is as good as ours.
async fn open_series<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<()> {
    sequence::Entity::insert(sequence::ActiveModel {
        name: Set(name.to_string()),
        next_value: Set(1),
    })
    .on_conflict(
        OnConflict::column(Column::Name)
            .do_nothing_on([Column::Name])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Advances series `name` by `count` and answers its next value afterwards, or None when the
/// series has no counter row yet. The UPDATE locks the row until the transaction ends.
async fn advance<C: ConnectionTrait>(db: &C, name: &str, count: i64) -> AppResult<Option<i64>> {
    let update = sequence::Entity::update_many()
        .col_expr(Column::NextValue, Expr::col(Column::NextValue).add(count))
        .filter(Column::Name.eq(name));
    Ok(crate::db::update_one(db, update, name)
        .await?
        .map(|row| row.next_value))
}

/// Advances the series, opening it first in the first order of a year.
async fn take<C: ConnectionTrait>(db: &C, name: &str, count: i64) -> AppResult<i64> {
    if !db.support_returning() {
        // MySQL: an UPDATE that finds no row locks the gap where it would be, and two creators
        // holding that gap and both inserting there deadlock. Make sure the row exists first.
        open_series(db, name).await?;
    }
    if let Some(next) = advance(db, name, count).await? {
        return Ok(next);
    }
    open_series(db, name).await?;
    advance(db, name, count)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order number counter {name} vanished")))
}

/// On SQLite: advances series `name` by one, from `floor` if the row is below it, and answers
/// its next value afterwards with whether the number just taken is on an order already, or None
/// when the series has no counter row yet. One statement instead of two, because on SQLite every
/// trip to the database is made while holding the single writer's turn.
async fn advance_and_check<C: ConnectionTrait>(
    db: &C,
    name: &str,
    floor: i64,
) -> AppResult<Option<(i64, bool)>> {
    // `{name}-` and the value before the new one, six digits at least: as [`format_number`].
    const SQL: &str = "UPDATE number_sequences SET next_value = max(next_value, ?) + 1 \
        WHERE name = ? RETURNING next_value, \
        EXISTS (SELECT 1 FROM orders WHERE number = ? || printf('%06d', next_value - 1))";
    let stmt = Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        SQL,
        [floor.into(), name.into(), format!("{name}-").into()],
    );
    let Some(row) = db.query_one(stmt).await? else {
        return Ok(None);
    };
    Ok(Some((
        row.try_get_by_index::<i64>(0)?,
        row.try_get_by_index::<bool>(1)?,
    )))
}

/// Number `value` of series `name`.
fn format_number(name: &str, value: i64) -> String {
    format!("{name}-{value:06}")
}

/// On SQLite, where the writer keeps the counter rows' values ([`crate::db::Counters`]): moves
/// the row of series `name` on to `next` with the transaction's next statement.
async fn keep_row_in_step<C: Deferring>(db: &C, name: &str, next: i64) -> AppResult<()> {
    const SQL: &str = "UPDATE number_sequences SET next_value = max(next_value, ?) WHERE name = ?";
    db.defer(Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        SQL,
        [next.into(), name.into()],
    ))
    .await?;
    Ok(())
}

/// The next number of series `name` from the writer's copy of its counter, if it is known.
async fn take_known<C: Deferring>(db: &C, name: &str) -> AppResult<Option<String>> {
    let Some(value) = db.counters().and_then(|c| c.take(name)) else {
        return Ok(None);
    };
    db.took_counted(name, value);
    keep_row_in_step(db, name, value + 1).await?;
    Ok(Some(format_number(name, value)))
}

/// The next number of this year's series for `prefix`. A manager may have keyed in a number of
/// the series by hand: the taken ones are skipped. On SQLite the writer usually knows the
/// counter's value and takes the number without a trip to the database; it reads the row (and
/// skips taken numbers) when it does not, which includes after every number keyed in by hand
/// ([`forget_counters`]).
pub async fn next_number<C: Deferring>(db: &C, prefix: &str) -> AppResult<String> {
    let name = series_name(prefix);
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        if let Some(number) = take_known(db, &name).await? {
            return Ok(number);
        }
        // The copy is set only in the writers' turn: if it is still unknown there, nobody hands
        // out a value until this writer has read the row, so the values handed out but not yet
        // written (which lie above the row) are all below the floor read now.
        db.take_turn().await?;
        if let Some(number) = take_known(db, &name).await? {
            return Ok(number);
        }
        for _ in 0..1000 {
            let floor = db.counters().map_or(0, |c| c.floor(&name));
            match advance_and_check(db, &name, floor).await? {
                Some((next, false)) => {
                    if let Some(counters) = db.counters() {
                        counters.set(&name, next);
                        db.took_counted(&name, next - 1);
                    }
                    return Ok(format_number(&name, next - 1));
                }
                Some((_, true)) => continue,
                None => open_series(db, &name).await?,
            }
        }
        return Err(no_free_number(&name));
    }
    for _ in 0..1000 {
        let next = take(db, &name, 1).await?;
        let number = format_number(&name, next - 1);
        let taken = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .filter(order::Column::Number.eq(number.clone()))
            .into_tuple::<uuid::Uuid>()
            .one(db)
            .await?
            .is_some();
        if !taken {
            return Ok(number);
        }
    }
    Err(no_free_number(&name))
}

/// Where [`generate`] takes a number.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Taking {
    /// Apart from the order's transaction on PostgreSQL and MySQL: an order placed on its own.
    Apart,
    /// In the order's transaction, undone with it: an import, whose rows a dry run rolls back
    /// (it must leave the counter as it was). The counter row stays locked until it ends.
    WithTheOrder,
}

/// The number for a new order written in `db`, a write transaction of `database`. On SQLite the
/// transaction's own [`next_number`]. On PostgreSQL and MySQL it is taken apart from the order's
/// transaction ([`crate::db::Db::apart`]): the counter row stays locked until the transaction
/// that advanced it ends, and held for a whole order's transaction (a dozen statements and the
/// commit's sync) it made every new order wait for the one before it. On PostgreSQL each
/// statement commits on its own (the counter's advance returns its value in the same statement);
/// MySQL reads the value back, so there it takes a short transaction. A number whose order then
/// fails (a shortage, say) is not handed out again: a gap in the series, as a database sequence
/// leaves. With [`Taking::WithTheOrder`], the order's transaction's own [`next_number`] everywhere.
pub async fn generate<C: Deferring>(
    db: &C,
    database: &crate::db::Db,
    prefix: &str,
    taking: Taking,
) -> AppResult<String> {
    if taking == Taking::WithTheOrder {
        return next_number(db, prefix).await;
    }
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => next_number(db, prefix).await,
        DatabaseBackend::Postgres => next_number(database.apart(), prefix).await,
        DatabaseBackend::MySql => {
            let apart = database.apart().begin().await?;
            let number = next_number(&apart, prefix).await?;
            apart.commit().await?;
            Ok(number)
        }
    }
}

/// A number was chosen by hand: the writer's copy of the counters may now hand out a taken
/// number, so it reads them again (skipping taken numbers) next time.
pub fn forget_counters<C: Deferring>(db: &C) {
    if let Some(counters) = db.counters() {
        counters.forget();
    }
}

fn no_free_number(name: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("no free order number in series {name}"))
}

/// Reserves `count` consecutive numbers of the current series at once (for bulk loading).
/// Unlike [`next_number`] it does not skip numbers keyed in by hand; a clash fails the load.
pub async fn reserve<C: Deferring>(db: &C, prefix: &str, count: i64) -> AppResult<Vec<String>> {
    let name = series_name(prefix);
    let next = take(db, &name, count).await?;
    if let Some(counters) = db.counters() {
        counters.set(&name, next);
    }
    Ok((next - count..next)
        .map(|n| format_number(&name, n))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Db, WriteTxn};

    /// While a writer waits for its turn to read a counter the copy did not know, others may
    /// take numbers from the copy, their work not yet written: the writer never hands those out
    /// again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_counter_read_in_the_turn_skips_numbers_handed_out_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/numbers.db", dir.path().display());
        let db = Db::connect(&url, 4).await.unwrap();
        let name = series_name("T");
        db.conn()
            .execute_unprepared(&format!(
                "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT);
                 CREATE TABLE number_sequences (name TEXT PRIMARY KEY, next_value INTEGER NOT NULL);
                 CREATE TABLE orders (number TEXT NOT NULL UNIQUE);
                 INSERT INTO number_sequences VALUES ('{name}', 1);"
            ))
            .await
            .unwrap();
        let holder = db.begin_write().await.unwrap();
        holder.take_turn().await.unwrap();
        let reader = db.begin_write().await.unwrap();
        let reading = tokio::spawn(async move {
            let number = next_number(&reader, "T").await.unwrap();
            (reader, number)
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // Meanwhile the copy is learnt and a number taken from it, not yet written.
        let taker: WriteTxn = db.begin_write().await.unwrap();
        let counters = taker.counters().unwrap();
        counters.set(&name, 1);
        let taken = counters.take(&name).unwrap();
        // The holder's commit waits for its group, which the reader is now in.
        let holding = tokio::spawn(holder.commit());
        let (reader, read) = reading.await.unwrap();
        assert_ne!(read, format_number(&name, taken));
        reader.commit().await.unwrap();
        holding.await.unwrap().unwrap();
        drop(taker);
        db.close().await;
    }

    /// The counter's statement checks for the number as it is handed out: a number keyed in by
    /// hand is found taken, the next is free, past six digits too.
    #[tokio::test]
    async fn the_counter_finds_a_number_taken_as_it_is_written() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared(
            "CREATE TABLE number_sequences (name TEXT PRIMARY KEY, next_value INTEGER NOT NULL);
             CREATE TABLE orders (number TEXT NOT NULL);
             INSERT INTO number_sequences VALUES ('S', 1), ('L', 1000000);
             INSERT INTO orders VALUES ('S-000001'), ('L-1000000');",
        )
        .await
        .unwrap();
        assert_eq!(
            advance_and_check(&db, "S", 0).await.unwrap(),
            Some((2, true))
        );
        assert_eq!(
            advance_and_check(&db, "S", 0).await.unwrap(),
            Some((3, false))
        );
        // Numbers up to 9 were handed out: the counter jumps past them.
        assert_eq!(
            advance_and_check(&db, "S", 10).await.unwrap(),
            Some((11, false))
        );
        assert_eq!(
            advance_and_check(&db, "L", 0).await.unwrap(),
            Some((1_000_001, true))
        );
        assert_eq!(advance_and_check(&db, "none", 0).await.unwrap(), None);
        assert_eq!(format_number("S", 2), "S-000002");
    }
}
