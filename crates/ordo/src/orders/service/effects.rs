//! What transitions do to stock: reserve the items' open quantities, release them, ship them.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::error::AppResult;
use crate::inventory::ledger::{self, MovementContext};
use crate::orders::entity::{item, order};

/// Makes each item's reservation match `reserve ? open quantity : 0`, reserving or releasing the
/// difference. Answers the items as they are afterwards.
pub async fn resync_reservations<C: ConnectionTrait>(
    db: &C,
    order: &order::Model,
    items: Vec<item::Model>,
    reserve: bool,
    actor: Option<Uuid>,
) -> AppResult<Vec<item::Model>> {
    let ctx = MovementContext {
        actor,
        order_id: Some(order.id),
        reason: Some(order.number.as_str()),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(product_id) = item.product_id else {
            out.push(item);
            continue;
        };
        let open = (item.quantity - item.shipped_quantity).max(0);
        let desired = if reserve { open } else { 0 };
        let diff = desired - item.reserved_quantity;
        if diff == 0 {
            out.push(item);
            continue;
        }
        if diff > 0 {
            ledger::reserve(db, product_id, &item.code, diff, &ctx).await?;
        } else {
            ledger::release(db, product_id, -diff, &ctx).await?;
        }
        let mut row: item::ActiveModel = item.into();
        row.reserved_quantity = Set(desired);
        out.push(row.update(db).await?);
    }
    Ok(out)
}

/// Ships up to `limit` (all open quantities when None) in item order: reserved stock first, then
/// available stock. Answers the items afterwards and the total shipped now.
pub async fn ship_open<C: ConnectionTrait>(
    db: &C,
    order: &order::Model,
    items: Vec<item::Model>,
    mut limit: Option<i64>,
    actor: Option<Uuid>,
) -> AppResult<(Vec<item::Model>, i64)> {
    let ctx = MovementContext {
        actor,
        order_id: Some(order.id),
        reason: Some(order.number.as_str()),
    };
    let mut out = Vec::with_capacity(items.len());
    let mut shipped_now = 0;
    for item in items {
        let open = (item.quantity - item.shipped_quantity).max(0);
        let take = limit.map_or(open, |l| open.min(l.max(0)));
        if take == 0 {
            out.push(item);
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
        out.push(row.update(db).await?);
    }
    Ok((out, shipped_now))
}

/// Order total: the sum of its line totals.
pub fn total(items: &[item::Model]) -> i64 {
    items.iter().map(|i| i.line_total).sum()
}
