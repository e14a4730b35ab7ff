//! Changing an order's items. Totals are recomputed and reservations follow in the same
//! transaction.

use crate::db::Deferring;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::effects;
use super::update::{claim_version, ensure_editable};
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult};
use crate::events::record_change;
use crate::fixed;
use crate::http::context::RequestContext;
use crate::identity::fields::{self, Checker};
use crate::orders::access::Viewer;
use crate::orders::entity::{item, order};
use crate::orders::input::{self, ItemInput};
use crate::orders::store;
use crate::orders::view::ItemView;
use crate::state::AppState;
use crate::workflow::store as workflows;

pub async fn list(state: &AppState, viewer: &Viewer, order_id: Uuid) -> AppResult<Vec<ItemView>> {
    let db = state.db.conn();
    let order = store::find(db, order_id).await?;
    viewer.ensure_visible(&order)?;
    Ok(store::items(db, order_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// After items changed: reservations follow, the total is recomputed, history of the change is
/// audited.
async fn settle<C: Deferring>(
    db: &C,
    viewer: &Viewer,
    order: &order::Model,
    action: &'static str,
    details: serde_json::Value,
    ctx: &RequestContext,
) -> AppResult<Vec<item::Model>> {
    let items = store::items(db, order.id).await?;
    let items =
        effects::resync_reservations(db, order, items, order.stock_reserved, Some(viewer.user.id))
            .await?;
    let total = effects::total(&items);
    crate::orders::search::refresh(db, order).await?;
    order::Entity::update_many()
        .col_expr(order::Column::Total, sea_orm::sea_query::Expr::value(total))
        .filter(order::Column::Id.eq(order.id))
        .exec(db)
        .await?;
    let entry = AuditEntry::new(action, "order", order.id).with_details(
        json!({ "number": order.number, "item": details, "total": fixed::money(total) }),
    );
    record_change(db, Some(viewer.user.id), ctx, entry).await?;
    Ok(items)
}

async fn open_for_edit<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    order_id: Uuid,
    version: Option<i32>,
) -> AppResult<order::Model> {
    let order = store::find_for_update(db, order_id).await?;
    let workflow = workflows::get(db, &order.workflow).await?;
    ensure_editable(viewer, &workflow, &order)?;
    claim_version(db, &order, version).await?;
    Ok(order)
}

pub async fn add(
    state: &AppState,
    viewer: &Viewer,
    order_id: Uuid,
    input: ItemInput,
    if_match: Option<i32>,
    ctx: &RequestContext,
) -> AppResult<ItemView> {
    let items = std::slice::from_ref(&input);
    let known = input::known_products(&state.db, items).await?;
    let txn = state.db.begin_write().await?;
    let mut check = Checker::default();
    let new = input::parse_items(&txn, items, &known, viewer.may_price(), &mut check, "").await?;
    check.finish()?;
    let order = open_for_edit(&txn, viewer, order_id, if_match).await?;
    let existing = store::items(&txn, order_id).await?;
    if existing.len() >= 500 {
        return Err(AppError::rule(
            "TOO_MANY_ITEMS",
            "An order has at most 500 items",
        ));
    }
    let position = existing.iter().map(|i| i.position).max().unwrap_or(0) + 1;
    let created = super::create::insert_items(&txn, order_id, new, position)
        .await?
        .remove(0);
    let details =
        json!({ "id": created.id, "code": created.code, "quantity": fixed::qty(created.quantity) });
    let items = settle(&txn, viewer, &order, "order.item_added", details, ctx).await?;
    txn.commit().await?;
    let created = items
        .into_iter()
        .find(|i| i.id == created.id)
        .unwrap_or(created);
    Ok(created.into())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemPatch {
    #[schema(value_type = Option<String>)]
    pub quantity: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub unit_price: Option<Decimal>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// The order version you read (or send `If-Match`).
    pub version: Option<i32>,
}

async fn find_item<C: ConnectionTrait>(
    db: &C,
    order_id: Uuid,
    item_id: Uuid,
) -> AppResult<item::Model> {
    item::Entity::find_by_id(item_id)
        .filter(item::Column::OrderId.eq(order_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("item"))
}

pub async fn patch(
    state: &AppState,
    viewer: &Viewer,
    order_id: Uuid,
    item_id: Uuid,
    patch: ItemPatch,
    if_match: Option<i32>,
    ctx: &RequestContext,
) -> AppResult<ItemView> {
    let mut check = Checker::default();
    let quantity = patch
        .quantity
        .and_then(|q| check.check(fixed::positive_qty("quantity", q)));
    if patch.unit_price.is_some() && !viewer.may_price() {
        check.add(crate::error::FieldError::new(
            "unitPrice",
            "only managers set prices",
        ));
    }
    let price = patch
        .unit_price
        .and_then(|p| check.check(fixed::non_negative_money("unitPrice", p)));

    let description = patch
        .description
        .as_deref()
        .and_then(|d| check.check(fields::required_text("description", d, 500)));
    check.finish()?;
    let txn = state.db.begin_write().await?;
    let order = open_for_edit(&txn, viewer, order_id, if_match.or(patch.version)).await?;
    let before = find_item(&txn, order_id, item_id).await?;
    if quantity.is_some_and(|q| q < before.shipped_quantity) {
        return Err(AppError::rule(
            "BELOW_SHIPPED",
            format!(
                "{} has already shipped",
                fixed::qty(before.shipped_quantity)
            ),
        ));
    }
    let mut row: item::ActiveModel = before.clone().into();
    let (q, p) = (
        quantity.unwrap_or(before.quantity),
        price.unwrap_or(before.unit_price),
    );
    row.quantity = Set(q);
    row.unit_price = Set(p);
    let line_total = fixed::line_total(q, p)
        .ok_or_else(|| AppError::field("quantity", "the line total is too large"))?;
    row.line_total = Set(line_total);
    if let Some(d) = description {
        row.description = Set(d);
    }
    row.update(&txn).await?;
    let details = json!({ "id": item_id, "before": { "quantity": fixed::qty(before.quantity), "unitPrice": fixed::money(before.unit_price) },
                          "after": { "quantity": fixed::qty(q), "unitPrice": fixed::money(p) } });
    let items = settle(&txn, viewer, &order, "order.item_updated", details, ctx).await?;
    txn.commit().await?;
    items
        .into_iter()
        .find(|i| i.id == item_id)
        .map(Into::into)
        .ok_or(AppError::NotFound("item"))
}

pub async fn remove(
    state: &AppState,
    viewer: &Viewer,
    order_id: Uuid,
    item_id: Uuid,
    if_match: Option<i32>,
    ctx: &RequestContext,
) -> AppResult<()> {
    let txn = state.db.begin_write().await?;
    let order = open_for_edit(&txn, viewer, order_id, if_match).await?;
    let before = find_item(&txn, order_id, item_id).await?;
    if before.shipped_quantity > 0 {
        return Err(AppError::rule(
            "ITEM_SHIPPED",
            "Part of this item has shipped; it cannot be removed",
        ));
    }
    // Return its reservation before the row goes.
    effects::resync_reservations(
        &txn,
        &order,
        vec![before.clone()],
        false,
        Some(viewer.user.id),
    )
    .await?;
    item::Entity::delete_by_id(item_id).exec(&txn).await?;
    let details =
        json!({ "id": item_id, "code": before.code, "quantity": fixed::qty(before.quantity) });
    settle(&txn, viewer, &order, "order.item_removed", details, ctx).await?;
    txn.commit().await?;
    Ok(())
}
