//! Human order numbers: `{prefix}{year}-{sequence}`, e.g. `ORD-2026-000042`, from a counter row
//! per prefix and year that the database serializes (the UPDATE locks the row until commit).

use chrono::{Datelike, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::{AppError, AppResult};
use crate::orders::entity::order;
use crate::orders::entity::sequence::{self, Column};

/// The name of this year's series for `prefix`, its counter row created if missing.
async fn series<C: ConnectionTrait>(db: &C, prefix: &str) -> AppResult<String> {
    let name = format!("{prefix}{}", Utc::now().year());
    // Make sure the counter exists without a failing statement (which would abort the
    // transaction on PostgreSQL): a concurrent creator's row is as good as ours.
    sequence::Entity::insert(sequence::ActiveModel {
        name: Set(name.clone()),
        next_value: Set(1),
    })
    .on_conflict(
        OnConflict::column(Column::Name)
            .do_nothing_on([Column::Name])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(name)
}

pub async fn next_number<C: ConnectionTrait>(db: &C, prefix: &str) -> AppResult<String> {
    let name = series(db, prefix).await?;
    // A manager may have keyed in a number of this series by hand: skip the taken ones.
    for _ in 0..1000 {
        sequence::Entity::update_many()
            .col_expr(Column::NextValue, Expr::col(Column::NextValue).add(1))
            .filter(Column::Name.eq(name.clone()))
            .exec(db)
            .await?;
        let row = sequence::Entity::find_by_id(name.clone())
            .one(db)
            .await?
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("order number counter {name} vanished"))
            })?;
        let number = format!("{name}-{:06}", row.next_value - 1);
        let taken = order::Entity::find()
            .filter(order::Column::Number.eq(number.clone()))
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
    let name = series(db, prefix).await?;
    sequence::Entity::update_many()
        .col_expr(Column::NextValue, Expr::col(Column::NextValue).add(count))
        .filter(Column::Name.eq(name.clone()))
        .exec(db)
        .await?;
    let next = sequence::Entity::find_by_id(name.clone())
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order number counter {name} vanished")))?
        .next_value;
    Ok((next - count..next)
        .map(|n| format!("{name}-{n:06}"))
        .collect())
}
