//! What transitions do to stock: reserve the items' open quantities, release them, ship them.
//!
//! Stock rows are always touched in product-id order, whatever the order of the items, so two
//! orders with the same products in another order cannot deadlock each other.

use crate::db::Deferring;
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use crate::error::AppResult;
use crate::inventory::ledger::{self, MovementContext};
use crate::orders::entity::{item, order};

/// Stock movements caused by `order` name it and its number.
fn movement_context(order: &order::Model, actor: Option<Uuid>) -> MovementContext<'_> {
    MovementContext {
        actor,
        order_id: Some(order.id),
        reason: Some(order.number.as_str()),
    }
}

/// The items' positions in the order their stock rows are to be locked.
fn lock_order(items: &[item::Model]) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..items.len()).collect();
    positions.sort_by_key(|&i| items[i].product_id);
    positions
}

/// Makes each item's reservation match `reserve ? open quantity : 0`, reserving or releasing the
/// difference. Answers the items as they are afterwards, in their original order.
pub async fn resync_reservations<C: Deferring>(
    db: &C,
    order: &order::Model,
    items: Vec<item::Model>,
    reserve: bool,
    actor: Option<Uuid>,
) -> AppResult<Vec<item::Model>> {
    let ctx = movement_context(order, actor);
    let sequence = lock_order(&items);
    let mut slots: Vec<Option<item::Model>> = items.into_iter().map(Some).collect();
    for i in sequence {
        let Some(item) = slots[i].take() else {
            continue;
        };
        let Some(product_id) = item.product_id else {
            slots[i] = Some(item);
            continue;
        };
        let open = (item.quantity - item.shipped_quantity).max(0);
        let desired = if reserve { open } else { 0 };
        let diff = desired - item.reserved_quantity;
        if diff == 0 {
            slots[i] = Some(item);
            continue;
        }
        if diff > 0 {
            ledger::reserve(db, product_id, &item.code, diff, &ctx).await?;
        } else {
            ledger::release(db, product_id, -diff, &ctx).await?;
        }
        let mut row: item::ActiveModel = item.into();
        row.reserved_quantity = Set(desired);
        slots[i] = Some(row.update(db).await?);
    }
    Ok(slots.into_iter().flatten().collect())
}

/// Marks the whole quantity of each of a new order's items of a product as reserved, as
/// [`reserve_new`] is to make it true before the transaction commits.
pub fn mark_reserved(items: &mut [item::Model]) {
    for item in items.iter_mut().filter(|i| i.product_id.is_some()) {
        item.reserved_quantity = item.quantity;
    }
}

/// Reserves the quantity of each of a new order's items of a product (a shortage fails it).
pub async fn reserve_new<C: Deferring>(
    db: &C,
    order: &order::Model,
    items: &[item::Model],
    actor: Option<Uuid>,
) -> AppResult<()> {
    let ctx = movement_context(order, actor);
    let lines: Vec<(Uuid, &str, i64)> = items
        .iter()
        .filter_map(|i| i.product_id.map(|p| (p, i.code.as_str(), i.quantity)))
        .collect();
    ledger::reserve_each(db, &lines, &ctx).await
}

/// Ships up to `limit` (all open quantities when None), reserved stock first, then available
/// stock. Answers the items afterwards (in their original order) and the total shipped now.
pub async fn ship_open<C: Deferring>(
    db: &C,
    order: &order::Model,
    items: Vec<item::Model>,
    mut limit: Option<i64>,
    actor: Option<Uuid>,
) -> AppResult<(Vec<item::Model>, i64)> {
    let ctx = movement_context(order, actor);
    let sequence = lock_order(&items);
    let mut slots: Vec<Option<item::Model>> = items.into_iter().map(Some).collect();
    let mut shipped_now = 0;
    for i in sequence {
        let Some(item) = slots[i].take() else {
            continue;
        };
        let open = (item.quantity - item.shipped_quantity).max(0);
        let take = limit.map_or(open, |l| open.min(l.max(0)));
        if take == 0 {
            slots[i] = Some(item);
            continue;
        }
        let from_reserved = item.reserved_quantity.min(take);
        if let Some(product_id) = item.product_id {
            if from_reserved > 0 {
                ledger::ship(db, product_id, &item.code, from_reserved, true, &ctx).await?;
            }
            if take > from_reserved {
                ledger::ship(
                    db,
                    product_id,
                    &item.code,
                    take - from_reserved,
                    false,
                    &ctx,
                )
                .await?;
            }
        }
        if let Some(l) = limit.as_mut() {
            *l -= take;
        }
        shipped_now += take;
        let (shipped, reserved) = (
            item.shipped_quantity + take,
            item.reserved_quantity - from_reserved,
        );
        let mut row: item::ActiveModel = item.into();
        row.shipped_quantity = Set(shipped);
        row.reserved_quantity = Set(reserved);
        slots[i] = Some(row.update(db).await?);
    }
    Ok((slots.into_iter().flatten().collect(), shipped_now))
}

/// Order total: the sum of its line totals.
pub fn total(items: &[item::Model]) -> i64 {
    items.iter().map(|i| i.line_total).sum()
}
