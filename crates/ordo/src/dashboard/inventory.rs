//! `GET /dashboard/inventory`: what the stock is worth, what runs low, and how it moved.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::per_day::{per_day, DayRow};
use super::range::Range;
use super::{sql, Period};
use crate::catalog::entity::product;
use crate::error::AppResult;
use crate::fixed;
use crate::inventory::entity::{level, movement};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InventoryDashboard {
    pub period: Period,
    pub active_products: usize,
    /// On hand times price, per currency.
    #[schema(value_type = BTreeMap<String, String>)]
    pub stock_value: BTreeMap<String, Decimal>,
    /// Products whose available stock is at or below their reorder level, the shortest first.
    pub low_stock: Vec<LowStock>,
    /// Movements per local day and kind in the period.
    pub movements: Vec<MovementDay>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LowStock {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    #[schema(value_type = String)]
    pub on_hand: Decimal,
    #[schema(value_type = String)]
    pub available: Decimal,
    #[schema(value_type = String)]
    pub reorder_level: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovementDay {
    pub day: NaiveDate,
    /// receipt, adjustment, reservation, release or shipment.
    pub kind: String,
    pub movements: i64,
    /// Sum of the signed quantities.
    #[schema(value_type = String)]
    pub quantity: Decimal,
}

#[derive(Debug, FromQueryResult)]
struct MovementRow {
    day: String,
    kind: String,
    movements: i64,
    quantity: i64,
}

impl DayRow for MovementRow {
    fn day(&self) -> &str {
        &self.day
    }
}

const LOW_STOCK_LIMIT: usize = 50;

pub async fn inventory(state: &AppState, range: &Range) -> AppResult<InventoryDashboard> {
    let db = state.db.conn();
    let backend = db.get_database_backend();
    // The catalog is thousands of rows, not millions: one pass over products with their levels.
    let products = product::Entity::find()
        .filter(product::Column::Active.eq(true))
        .find_also_related(level::Entity)
        .all(db)
        .await?;
    let mut stock_value: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut low_stock = Vec::new();
    for (p, level) in &products {
        let (on_hand, reserved) = level.as_ref().map_or((0, 0), |l| (l.on_hand, l.reserved));
        *stock_value.entry(p.currency.clone()).or_default() +=
            fixed::qty(on_hand) * fixed::money(p.price);
        let available = on_hand - reserved;
        if available <= p.reorder_level {
            low_stock.push((p.reorder_level - available, p, on_hand, available));
        }
    }
    low_stock.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.sku.cmp(&b.1.sku)));
    let rows: Vec<(NaiveDate, MovementRow)> = per_day(
        db,
        range,
        movement::Entity::find(),
        movement::Column::CreatedAt,
        "created_at",
        |q| {
            q.column(movement::Column::Kind)
                .column_as(Expr::cust("COUNT(*)"), "movements")
                .column_as(sql::int_sum(backend, "quantity"), "quantity")
                .group_by(movement::Column::Kind)
        },
    )
    .await?;
    Ok(InventoryDashboard {
        period: Period::of(range),
        active_products: products.len(),
        stock_value: stock_value
            .into_iter()
            .map(|(c, v)| (c, v.round_dp(2)))
            .collect(),
        low_stock: low_stock
            .into_iter()
            .take(LOW_STOCK_LIMIT)
            .map(|(_, p, on_hand, available)| LowStock {
                product_id: p.id,
                sku: p.sku.clone(),
                name: p.name.clone(),
                on_hand: fixed::qty(on_hand),
                available: fixed::qty(available),
                reorder_level: fixed::qty(p.reorder_level),
            })
            .collect(),
        movements: rows
            .into_iter()
            .map(|(day, r)| MovementDay {
                day,
                kind: r.kind,
                movements: r.movements,
                quantity: fixed::qty(r.quantity),
            })
            .collect(),
    })
}
