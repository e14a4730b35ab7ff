//! `GET /dashboard/sales`: revenue and order counts over time, and who and what drives them.
//! Cancelled orders do not count; only orders in the chosen currency do.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::per_day::{per_day, DayRow};
use super::range::Range;
use super::{cancelled, sql, Period};
use crate::catalog::customers;
use crate::error::{AppError, AppResult};
use crate::fixed;
use crate::orders::access::Viewer;
use crate::orders::entity::{item, order};
use crate::state::AppState;
use crate::workflow::store as workflows;

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    #[default]
    Day,
    Week,
    Month,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// `day` (default), `week` (from Monday) or `month`.
    pub interval: Option<Interval>,
    /// Currency of the orders counted (default: the configured default currency).
    #[param(max_length = 3)]
    pub currency: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sales {
    pub period: Period,
    pub interval: Interval,
    pub currency: String,
    pub orders: i64,
    #[schema(value_type = String)]
    pub revenue: Decimal,
    #[schema(value_type = Option<String>)]
    pub average_order_value: Option<Decimal>,
    pub series: Vec<SalesPoint>,
    pub top_products: Vec<TopProduct>,
    pub top_customers: Vec<TopCustomer>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SalesPoint {
    /// First local day of the day, week or month.
    pub period: NaiveDate,
    pub orders: i64,
    #[schema(value_type = String)]
    pub revenue: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopProduct {
    pub product_id: Option<Uuid>,
    pub code: String,
    pub orders: i64,
    #[schema(value_type = String)]
    pub quantity: Decimal,
    #[schema(value_type = String)]
    pub revenue: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopCustomer {
    pub customer_id: Uuid,
    pub name: String,
    pub orders: i64,
    #[schema(value_type = String)]
    pub revenue: Decimal,
}

#[derive(Debug, FromQueryResult)]
struct DaySales {
    day: String,
    orders: i64,
    revenue: i64,
}

impl DayRow for DaySales {
    fn day(&self) -> &str {
        &self.day
    }
}

const TOP: u64 = 10;

pub async fn sales(
    state: &AppState,
    viewer: &Viewer,
    range: &Range,
    q: &SalesQuery,
) -> AppResult<Sales> {
    let db = state.db.conn();
    let backend = db.get_database_backend();
    let currency = match q
        .currency
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => state.settings.default_currency.clone(),
        Some(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            c.to_ascii_uppercase()
        }
        Some(_) => return Err(AppError::field("currency", "must be a 3-letter code")),
    };
    let interval = q.interval.unwrap_or_default();
    let all_workflows = workflows::list(db).await?;
    let counted = viewer
        .scope(order::Entity::find())
        .filter(order::Column::Currency.eq(currency.as_str()))
        .filter(sea_orm::Condition::not(cancelled(&all_workflows)));

    let days: Vec<(NaiveDate, DaySales)> = per_day(
        db,
        range,
        counted.clone(),
        order::Column::CreatedAt,
        "created_at",
        |q| {
            q.column_as(Expr::cust("COUNT(*)"), "orders")
                .column_as(sql::int_sum(backend, "total"), "revenue")
        },
    )
    .await?;
    let mut buckets: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    for (day, row) in &days {
        let bucket = buckets.entry(bucket_of(*day, interval)).or_default();
        bucket.0 += row.orders;
        bucket.1 += row.revenue;
    }
    let orders: i64 = buckets.values().map(|b| b.0).sum();
    let revenue: i64 = buckets.values().map(|b| b.1).sum();

    let in_period = counted
        .filter(order::Column::CreatedAt.gte(range.from_stored()))
        .filter(order::Column::CreatedAt.lt(range.to_stored()));
    let product_rows: Vec<(Option<Uuid>, String, i64, i64, i64)> = item::Entity::find()
        .select_only()
        .column(item::Column::ProductId)
        .column(item::Column::Code)
        .column_as(Expr::cust("COUNT(DISTINCT order_id)"), "orders")
        .column_as(sql::int_sum(backend, "quantity"), "quantity")
        .column_as(sql::int_sum(backend, "line_total"), "revenue")
        .filter(
            item::Column::OrderId.in_subquery(
                in_period
                    .clone()
                    .select_only()
                    .column(order::Column::Id)
                    .into_query(),
            ),
        )
        .group_by(item::Column::ProductId)
        .group_by(item::Column::Code)
        .order_by_desc(Expr::cust("revenue"))
        .limit(TOP)
        .into_tuple()
        .all(db)
        .await?;
    let customer_rows: Vec<(Uuid, i64, i64)> = in_period
        .select_only()
        .column(order::Column::CustomerId)
        .column_as(Expr::cust("COUNT(*)"), "orders")
        .column_as(sql::int_sum(backend, "total"), "revenue")
        .filter(order::Column::CustomerId.is_not_null())
        .group_by(order::Column::CustomerId)
        .order_by_desc(Expr::cust("revenue"))
        .limit(TOP)
        .into_tuple()
        .all(db)
        .await?;
    let names = customers::names(db, customer_rows.iter().map(|r| r.0)).await?;

    Ok(Sales {
        period: Period::of(range),
        interval,
        currency,
        orders,
        revenue: fixed::money(revenue),
        average_order_value: (orders > 0)
            .then(|| (fixed::money(revenue) / Decimal::from(orders)).round_dp(2)),
        series: buckets
            .into_iter()
            .map(|(period, (orders, revenue))| SalesPoint {
                period,
                orders,
                revenue: fixed::money(revenue),
            })
            .collect(),
        top_products: product_rows
            .into_iter()
            .map(|(product_id, code, orders, quantity, revenue)| TopProduct {
                product_id,
                code,
                orders,
                quantity: fixed::qty(quantity),
                revenue: fixed::money(revenue),
            })
            .collect(),
        top_customers: customer_rows
            .into_iter()
            .map(|(customer_id, orders, revenue)| TopCustomer {
                name: names.get(&customer_id).cloned().unwrap_or_default(),
                customer_id,
                orders,
                revenue: fixed::money(revenue),
            })
            .collect(),
    })
}

/// The first day of the day, ISO week or month `day` falls in.
fn bucket_of(day: NaiveDate, interval: Interval) -> NaiveDate {
    match interval {
        Interval::Day => day,
        Interval::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
        Interval::Month => day.with_day(1).unwrap_or(day),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(); // a Sunday
        assert_eq!(bucket_of(day, Interval::Week).to_string(), "2026-11-16");
        assert_eq!(bucket_of(day, Interval::Month).to_string(), "2026-11-01");
        assert_eq!(bucket_of(day, Interval::Day), day);
    }
}
