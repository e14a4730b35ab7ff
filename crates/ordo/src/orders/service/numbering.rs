//! Human order numbers: `{prefix}{year}-{sequence}`, e.g. `ORD-2026-000042`, from a counter row
//! per prefix and year that the database serializes (the UPDATE locks the row until commit).

use chrono::{Datelike, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

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

pub async fn next_number<C: ConnectionTrait>(db: &C, prefix: &str) -> AppResult<String> {
    let name = series_name(prefix);
    // A manager may have keyed in a number of this series by hand: skip the taken ones.
    for _ in 0..1000 {
        let next = take(db, &name, 1).await?;
        let number = format!("{name}-{:06}", next - 1);
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
    Err(AppError::Internal(anyhow::anyhow!(
        "no free order number in series {name}"
    )))
}

/// Reserves `count` consecutive numbers of the current series at once (for bulk loading).
/// Unlike [`next_number`] it does not skip numbers keyed in by hand; a clash fails the load.
pub async fn reserve<C: ConnectionTrait>(
    db: &C,
    prefix: &str,
    count: i64,
) -> AppResult<Vec<String>> {
    let name = series_name(prefix);
    let next = take(db, &name, count).await?;
    Ok((next - count..next)
        .map(|n| format!("{name}-{n:06}"))
        .collect())
}
