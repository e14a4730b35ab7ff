//! `GET /dashboard/trends`: orders created and completed per local day.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, FromQueryResult, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use super::per_day::{per_day, DayRow};
use super::range::Range;
use super::Period;
use crate::error::AppResult;
use crate::orders::access::Viewer;
use crate::orders::entity::order;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Trends {
    pub period: Period,
    /// Every day of the period, zeros included.
    pub series: Vec<TrendPoint>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub day: NaiveDate,
    pub created: i64,
    pub completed: i64,
}

#[derive(Debug, FromQueryResult)]
struct DayCount {
    day: String,
    orders: i64,
}

impl DayRow for DayCount {
    fn day(&self) -> &str {
        &self.day
    }
}

pub async fn trends(state: &AppState, viewer: &Viewer, range: &Range) -> AppResult<Trends> {
    let db = state.db.conn();
    let count = |q: sea_orm::Select<order::Entity>| q.column_as(Expr::cust("COUNT(*)"), "orders");
    let scoped = viewer.scope(order::Entity::find());
    let created: Vec<(NaiveDate, DayCount)> = per_day(
        db,
        range,
        scoped.clone(),
        order::Column::CreatedAt,
        "created_at",
        count,
    )
    .await?;
    let completed: Vec<(NaiveDate, DayCount)> = per_day(
        db,
        range,
        scoped,
        order::Column::CompletedAt,
        "completed_at",
        count,
    )
    .await?;
    let mut series: BTreeMap<NaiveDate, TrendPoint> = range
        .days()
        .into_iter()
        .map(|(day, _, _)| {
            (
                day,
                TrendPoint {
                    day,
                    created: 0,
                    completed: 0,
                },
            )
        })
        .collect();
    for (day, row) in created {
        if let Some(point) = series.get_mut(&day) {
            point.created += row.orders;
        }
    }
    for (day, row) in completed {
        if let Some(point) = series.get_mut(&day) {
            point.completed += row.orders;
        }
    }
    Ok(Trends {
        period: Period::of(range),
        series: series.into_values().collect(),
    })
}
