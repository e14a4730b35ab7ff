//! Human order numbers: `{prefix}{year}-{sequence}`, e.g. `ORD-2026-000042`, from a counter row
//! per prefix and year that the database serializes.

use chrono::{Datelike, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::{AppError, AppResult};
use crate::orders::entity::sequence;

pub async fn next_number<C: ConnectionTrait>(db: &C, prefix: &str) -> AppResult<String> {
    let year = Utc::now().year();
    let name = format!("{prefix}{year}");
    for _ in 0..3 {
        let bumped = sequence::Entity::update_many()
            .col_expr(
                sequence::Column::NextValue,
                Expr::col(sequence::Column::NextValue).add(1),
            )
            .filter(sequence::Column::Name.eq(name.clone()))
            .exec(db)
            .await?
            .rows_affected;
        if bumped == 1 {
            let row = sequence::Entity::find_by_id(name.clone())
                .one(db)
                .await?
                .ok_or(AppError::NotFound("sequence"))?;
            return Ok(format!("{name}-{:06}", row.next_value - 1));
        }
        let created = sequence::ActiveModel {
            name: Set(name.clone()),
            next_value: Set(2),
        }
        .insert(db)
        .await;
        if created.is_ok() {
            return Ok(format!("{name}-{:06}", 1));
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "could not draw an order number for {name}"
    )))
}
