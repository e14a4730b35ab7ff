//! Human order numbers: `{prefix}{year}-{sequence}`, e.g. `ORD-2026-000042`, from a counter row
//! per prefix and year that the database serializes (the UPDATE locks the row until commit).

use chrono::{Datelike, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::{AppError, AppResult};
use crate::orders::entity::order;
use crate::orders::entity::sequence::{self, Column};

pub async fn next_number<C: ConnectionTrait>(db: &C, prefix: &str) -> AppResult<String> {
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
