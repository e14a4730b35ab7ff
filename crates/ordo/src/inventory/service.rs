//! Reading stock levels and movements, and adjusting stock by hand.

use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait, Select,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entity::{level, movement};
use super::ledger::{self, MovementContext, MovementKind};
use crate::audit::AuditEntry;
use crate::catalog::entity::product;
use crate::catalog::products;
use crate::error::{AppError, AppResult};
use crate::events::record_change;
use crate::fixed;
use crate::http::auth::AuthUser;
use crate::http::context::RequestContext;
use crate::http::pagination::{fetch_page, like_pattern, lower_like, Page, PageRequest};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockView {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub unit: String,
    #[schema(value_type = String)]
    pub on_hand: Decimal,
    #[schema(value_type = String)]
    pub reserved: Decimal,
    #[schema(value_type = String)]
    pub available: Decimal,
    #[schema(value_type = String)]
    pub reorder_level: Decimal,
    /// Available stock at or below the reorder level.
    pub low_stock: bool,
}

#[derive(Debug, FromQueryResult)]
struct StockRow {
    id: Uuid,
    sku: String,
    name: String,
    unit: String,
    reorder_level: i64,
    on_hand: i64,
    reserved: i64,
}

impl From<StockRow> for StockView {
    fn from(r: StockRow) -> Self {
        let available = r.on_hand - r.reserved;
        Self {
            product_id: r.id,
            sku: r.sku,
            name: r.name,
            unit: r.unit,
            on_hand: fixed::qty(r.on_hand),
            reserved: fixed::qty(r.reserved),
            available: fixed::qty(available),
            reorder_level: fixed::qty(r.reorder_level),
            low_stock: available <= r.reorder_level,
        }
    }
}

fn stock_query() -> Select<product::Entity> {
    product::Entity::find()
        .select_only()
        .columns([
            product::Column::Id,
            product::Column::Sku,
            product::Column::Name,
            product::Column::Unit,
            product::Column::ReorderLevel,
        ])
        .column(level::Column::OnHand)
        .column(level::Column::Reserved)
        .join(sea_orm::JoinType::InnerJoin, product::Relation::Level.def())
}

#[derive(Debug, Default)]
pub struct StockFilter {
    pub search: Option<String>,
    pub low_stock: Option<bool>,
}

pub async fn list(
    state: &AppState,
    filter: StockFilter,
    page: PageRequest,
) -> AppResult<Page<StockView>> {
    let mut query = stock_query();
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = like_pattern(search);
        query = query.filter(
            Condition::any()
                .add(lower_like(product::Column::Sku, &pattern))
                .add(lower_like(product::Column::Name, &pattern)),
        );
    }
    if let Some(low) = filter.low_stock {
        let available = Expr::col((level::Entity, level::Column::OnHand))
            .sub(Expr::col((level::Entity, level::Column::Reserved)));
        let reorder = Expr::col((product::Entity, product::Column::ReorderLevel));
        let available = Expr::expr(available);
        query = query.filter(if low {
            available.lte(reorder)
        } else {
            available.gt(reorder)
        });
    }
    let query = query.order_by_asc(product::Column::Sku);
    let db = state.db.conn();
    let total =
        crate::http::pagination::capped_count(db, &query, crate::http::pagination::COUNT_CAP)
            .await?;
    let rows = query
        .offset(page.offset())
        .limit(page.limit)
        .into_model::<StockRow>()
        .all(db)
        .await?;
    Ok(Page::new(
        rows.into_iter().map(StockView::from).collect(),
        total,
        page,
    ))
}

pub async fn get(state: &AppState, product_id: Uuid) -> AppResult<StockView> {
    stock_query()
        .filter(product::Column::Id.eq(product_id))
        .into_model::<StockRow>()
        .one(state.db.conn())
        .await?
        .map(StockView::from)
        .ok_or(AppError::NotFound("product"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockAdjustment {
    /// Signed change of on-hand stock, e.g. `"25"` or `"-3.5"`.
    #[schema(value_type = String, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "25")]
    pub change: Decimal,
    /// `receipt` (goods in) or `adjustment` (count correction, damage ...). Default `adjustment`.
    pub kind: Option<AdjustmentKind>,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AdjustmentKind {
    Receipt,
    Adjustment,
}

pub async fn adjust(
    state: &AppState,
    actor: &AuthUser,
    product_id: Uuid,
    req: StockAdjustment,
    ctx: &RequestContext,
) -> AppResult<StockView> {
    let mut check = crate::identity::fields::Checker::default();
    let change = check.check(fixed::signed_qty("change", req.change));
    let reason = check.check(crate::identity::fields::required_text(
        "reason",
        &req.reason,
        500,
    ));
    let kind = match req.kind.unwrap_or(AdjustmentKind::Adjustment) {
        AdjustmentKind::Receipt => MovementKind::Receipt,
        AdjustmentKind::Adjustment => MovementKind::Adjustment,
    };
    if kind == MovementKind::Receipt && change.is_some_and(|c| c <= 0) {
        check.add(crate::error::FieldError::new(
            "change",
            "a receipt must be positive",
        ));
    }
    if change == Some(0) {
        check.add(crate::error::FieldError::new("change", "must not be zero"));
    }
    check.finish()?;
    let (change, reason) = (change.expect("checked"), reason.expect("checked"));
    let txn = state.db.begin_write().await?;
    let product = products::find(&txn, product_id).await?;
    let movement = MovementContext {
        actor: Some(actor.id),
        order_id: None,
        reason: Some(&reason),
    };
    let after = ledger::adjust(&txn, product_id, change, kind, &movement).await?;
    let entry = AuditEntry::new("inventory.adjusted", "product", product_id).with_details(json!({
        "sku": product.sku, "kind": kind.as_str(), "change": fixed::qty(change), "reason": reason,
        "onHand": fixed::qty(after.on_hand), "reserved": fixed::qty(after.reserved),
    }));
    record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    get(state, product_id).await
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovementView {
    pub id: Uuid,
    pub product_id: Uuid,
    pub kind: String,
    #[schema(value_type = String)]
    pub quantity: Decimal,
    #[schema(value_type = String)]
    pub on_hand_after: Decimal,
    #[schema(value_type = String)]
    pub reserved_after: Decimal,
    pub reason: Option<String>,
    pub actor_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<movement::Model> for MovementView {
    fn from(m: movement::Model) -> Self {
        Self {
            id: m.id,
            product_id: m.product_id,
            kind: m.kind,
            quantity: fixed::qty(m.quantity),
            on_hand_after: fixed::qty(m.on_hand_after),
            reserved_after: fixed::qty(m.reserved_after),
            reason: m.reason,
            actor_id: m.actor_id,
            order_id: m.order_id,
            created_at: crate::time::utc(m.created_at),
        }
    }
}

pub async fn movements(
    state: &AppState,
    product_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<MovementView>> {
    products::find(state.db.conn(), product_id).await?;
    let query = movement::Entity::find()
        .filter(movement::Column::ProductId.eq(product_id))
        .order_by_desc(movement::Column::CreatedAt)
        .order_by_desc(movement::Column::Id);
    Ok(fetch_page(state.db.conn(), query, page).await?)
}
