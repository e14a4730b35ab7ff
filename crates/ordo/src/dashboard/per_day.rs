//! Grouping rows by local day: one query per run of days with a steady UTC offset.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Select,
};

use super::range::Range;
use super::sql;
use crate::error::AppResult;

/// A grouped row with its local day (selected as `day`).
pub trait DayRow {
    fn day(&self) -> &str;
}

/// Runs `base` (scoped and filtered) once per segment of `range`, with `column` limited to the
/// segment and the local day selected as `day`; `aggregate` adds the rest of `T`'s columns.
pub async fn per_day<E, T, C>(
    db: &C,
    range: &Range,
    base: Select<E>,
    column: E::Column,
    column_sql: &str,
    aggregate: impl Fn(Select<E>) -> Select<E>,
) -> AppResult<Vec<(NaiveDate, T)>>
where
    E: EntityTrait,
    C: ConnectionTrait,
    T: FromQueryResult + DayRow,
{
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for segment in range.segments() {
        let query = base
            .clone()
            .select_only()
            .filter(column.gte(segment.start))
            .filter(column.lt(segment.end));
        let rows: Vec<T> = match segment.offset_minutes {
            Some(offset) => {
                let day = sql::local_day(backend, column_sql, offset);
                aggregate(query.column_as(day.clone(), "day").group_by(day))
                    .into_model::<T>()
                    .all(db)
                    .await?
            }
            None => {
                aggregate(query.column_as(Expr::val(segment.first_day.to_string()), "day"))
                    .into_model::<T>()
                    .all(db)
                    .await?
            }
        };
        for row in rows {
            if let Ok(day) = NaiveDate::parse_from_str(row.day(), "%Y-%m-%d") {
                out.push((day, row));
            }
        }
    }
    out.sort_by_key(|(day, _)| *day);
    Ok(out)
}
