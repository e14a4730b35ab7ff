//! Partial fulfilment: shipments take part or all of an order's quantities. When everything has
//! shipped, or every shipment is delivered, the order moves on by itself through the workflow.

use crate::db::Deferring;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::transition::{fire, TransitionFields, TransitionRequest};
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult, FieldError};
use crate::events::record_change;
use crate::fixed;
use crate::http::context::RequestContext;
use crate::identity::fields::{self, Checker};
use crate::inventory::ledger::{self, MovementContext};
use crate::orders::access::Viewer;
use crate::orders::entity::{item, order, shipment, shipment_item};
use crate::orders::store;
use crate::orders::view::ShipmentView;
use crate::state::AppState;
use crate::workflow::{store as workflows, Effect, Workflow};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentLine {
    pub item_id: Uuid,
    #[schema(value_type = String, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "1")]
    pub quantity: Decimal,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewShipment {
    pub items: Vec<ShipmentLine>,
    #[schema(max_length = 64)]
    pub carrier: Option<String>,
    #[schema(max_length = 100)]
    pub tracking_number: Option<String>,
    #[schema(max_length = 64)]
    pub rake_number: Option<String>,
}

/// States where goods may leave: those a stock-shipping transition leaves from or arrives in.
fn can_ship_in(workflow: &Workflow, status: &str) -> bool {
    workflow
        .transitions
        .iter()
        .filter(|t| t.effects.contains(&Effect::ShipStock))
        .any(|t| {
            t.from.iter().any(|f| f == status)
                || (t.to == status && !workflow.state(status).is_some_and(|s| s.terminal))
        })
}

pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    order_id: Uuid,
) -> AppResult<Vec<ShipmentView>> {
    let db = state.db.conn();
    let order = store::find(db, order_id).await?;
    viewer.ensure_visible(&order)?;
    Ok(store::shipments(db, order_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Fires the first transition from the order's state that satisfies `pick`, if the viewer may;
/// `template` carries the fields and note (its `to` is filled in here).
async fn advance<C: Deferring>(
    db: &C,
    state: &AppState,
    viewer: &Viewer,
    order_id: Uuid,
    pick: impl Fn(&crate::workflow::Transition) -> bool,
    template: TransitionRequest,
    ctx: &RequestContext,
) -> AppResult<()> {
    let order = store::find(db, order_id).await?;
    let workflow = workflows::get(db, &order.workflow).await?;
    let Some(transition) = workflow
        .transitions
        .iter()
        .find(|t| t.from.contains(&order.status) && pick(t))
    else {
        return Ok(());
    };
    let request = TransitionRequest {
        to: transition.to.clone(),
        ..template
    };
    let actor = viewer.actor(&order);
    match fire(
        db,
        state,
        &workflow,
        order,
        actor,
        Some(viewer.user.id),
        &request,
        ctx,
    )
    .await
    {
        Ok(_) => Ok(()),
        // The shipment stands; the order just does not move on by itself.
        Err(AppError::Forbidden(_) | AppError::Validation(_) | AppError::RuleViolation { .. }) => {
            Ok(())
        }
        Err(other) => Err(other),
    }
}

pub async fn create(
    state: &AppState,
    viewer: &Viewer,
    order_id: Uuid,
    req: NewShipment,
    ctx: &RequestContext,
) -> AppResult<ShipmentView> {
    let mut check = Checker::default();
    let carrier = req
        .carrier
        .as_deref()
        .and_then(|c| check.check(fields::optional_text("carrier", Some(c), 64)))
        .flatten();
    let tracking = req
        .tracking_number
        .as_deref()
        .and_then(|t| check.check(fields::optional_text("trackingNumber", Some(t), 100)))
        .flatten();
    let rake = req
        .rake_number
        .as_deref()
        .and_then(|r| check.check(fields::optional_text("rakeNumber", Some(r), 64)))
        .flatten();
    if req.items.is_empty() {
        check.add(FieldError::new("items", "list at least one item"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, line) in req.items.iter().enumerate() {
        if !seen.insert(line.item_id) {
            check.add(FieldError::new(
                format!("items[{i}].itemId"),
                "lists an item a second time",
            ));
        }
    }

    let lines: Vec<(Uuid, i64)> = req
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            check
                .check(fixed::positive_qty(
                    &format!("items[{i}].quantity"),
                    l.quantity,
                ))
                .map(|q| (l.item_id, q))
        })
        .collect();
    check.finish()?;
    let txn = state.db.begin_write().await?;
    let order = store::find_for_update(&txn, order_id).await?;
    viewer.ensure_visible(&order)?;
    let workflow = workflows::get(&txn, &order.workflow).await?;
    if !can_ship_in(&workflow, &order.status) {
        return Err(AppError::rule(
            "NOT_SHIPPABLE",
            format!("Nothing can ship while the order is {}", order.status),
        ));
    }
    // A shipment changes the order: clients holding the old version must reload.
    super::update::claim_version(&txn, &order, None).await?;
    if let Some(carrier) = &carrier {
        crate::reference::ensure_active(
            &txn,
            crate::reference::Kind::Carrier,
            &carrier.to_uppercase(),
            "carrier",
        )
        .await?;
    }
    let items = store::items(&txn, order_id).await?;
    let now = crate::time::now();
    let shipment_id = Uuid::now_v7();
    shipment::ActiveModel {
        id: Set(shipment_id),
        order_id: Set(order_id),
        status: Set("shipped".into()),
        carrier: Set(carrier.map(|c| c.to_uppercase())),
        tracking_number: Set(tracking.clone()),
        rake_number: Set(rake.clone()),
        created_by: Set(Some(viewer.user.id)),
        shipped_at: Set(now),
        delivered_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let movement = MovementContext {
        actor: Some(viewer.user.id),
        order_id: Some(order_id),
        reason: Some(order.number.as_str()),
    };
    let mut shipped_lines = Vec::new();
    // Touch stock rows in product-id order (see effects.rs), keeping each line's index for errors.
    let mut sequence: Vec<(usize, (Uuid, i64))> = lines.iter().copied().enumerate().collect();
    sequence.sort_by_key(|(_, (item_id, _))| {
        items
            .iter()
            .find(|it| it.id == *item_id)
            .and_then(|it| it.product_id)
    });
    for (i, (item_id, qty)) in sequence {
        let Some(item) = items.iter().find(|it| it.id == item_id).cloned() else {
            return Err(AppError::field(
                format!("items[{i}].itemId"),
                "is not an item of this order",
            ));
        };
        let open = item.quantity - item.shipped_quantity;
        if qty > open {
            return Err(AppError::rule(
                "OVER_SHIPMENT",
                format!(
                    "items[{i}]: {} of {} is still to ship, not {}",
                    fixed::qty(open),
                    item.code,
                    fixed::qty(qty)
                ),
            ));
        }
        let from_reserved = item.reserved_quantity.min(qty);
        if let Some(product_id) = item.product_id {
            if from_reserved > 0 {
                ledger::ship(&txn, product_id, &item.code, from_reserved, true, &movement).await?;
            }
            if qty > from_reserved {
                ledger::ship(
                    &txn,
                    product_id,
                    &item.code,
                    qty - from_reserved,
                    false,
                    &movement,
                )
                .await?;
            }
        }
        let (shipped, reserved) = (
            item.shipped_quantity + qty,
            item.reserved_quantity - from_reserved,
        );
        let mut row: item::ActiveModel = item.clone().into();
        row.shipped_quantity = Set(shipped);
        row.reserved_quantity = Set(reserved);
        row.update(&txn).await?;
        shipment_item::ActiveModel {
            id: Set(Uuid::now_v7()),
            shipment_id: Set(shipment_id),
            order_item_id: Set(item_id),
            quantity: Set(qty),
        }
        .insert(&txn)
        .await?;
        shipped_lines
            .push(json!({ "itemId": item_id, "code": item.code, "quantity": fixed::qty(qty) }));
    }
    let items = store::items(&txn, order_id).await?;
    let shipped_total: i64 = items.iter().map(|i| i.shipped_quantity).sum();
    order::Entity::update_many()
        .col_expr(
            order::Column::DispatchQuantity,
            sea_orm::sea_query::Expr::value(Some(shipped_total)),
        )
        .col_expr(
            order::Column::TrackingNumber,
            sea_orm::sea_query::Expr::value(tracking.clone().or(order.tracking_number.clone())),
        )
        .filter(order::Column::Id.eq(order_id))
        .exec(&txn)
        .await?;
    if tracking.is_some() && tracking != order.tracking_number {
        let after = store::find(&txn, order_id).await?;
        crate::orders::search::refresh(&txn, &after).await?;
    }
    let entry = AuditEntry::new("order.shipped", "order", order_id).with_details(json!({
        "number": order.number, "shipmentId": shipment_id, "items": shipped_lines,
        "trackingNumber": tracking, "rakeNumber": rake, "dispatchQuantity": fixed::qty(shipped_total),
    }));
    record_change(&txn, Some(viewer.user.id), ctx, entry).await?;
    if items.iter().all(|i| i.shipped_quantity >= i.quantity) {
        let fields = TransitionFields {
            dispatch_quantity: Some(fixed::qty(shipped_total)),
            ..Default::default()
        };
        let pick = |t: &crate::workflow::Transition| t.effects.contains(&Effect::ShipStock);
        advance(
            &txn,
            state,
            viewer,
            order_id,
            pick,
            TransitionRequest {
                to: String::new(),
                note: Some("everything has shipped".into()),
                fields,
            },
            ctx,
        )
        .await?;
    }
    txn.commit().await?;
    let all = store::shipments(state.db.conn(), order_id).await?;
    all.into_iter()
        .find(|(s, _)| s.id == shipment_id)
        .map(Into::into)
        .ok_or(AppError::NotFound("shipment"))
}

pub async fn deliver(
    state: &AppState,
    viewer: &Viewer,
    order_id: Uuid,
    shipment_id: Uuid,
    ctx: &RequestContext,
) -> AppResult<ShipmentView> {
    let txn = state.db.begin_write().await?;
    let order = store::find_for_update(&txn, order_id).await?;
    viewer.ensure_visible(&order)?;
    let found = shipment::Entity::find_by_id(shipment_id)
        .filter(shipment::Column::OrderId.eq(order_id))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("shipment"))?;
    super::update::claim_version(&txn, &order, None).await?;
    if found.delivered_at.is_some() {
        return Err(AppError::state_conflict(
            "ALREADY_DELIVERED",
            "This shipment was delivered already",
        ));
    }
    let mut row: shipment::ActiveModel = found.into();
    row.status = Set("delivered".into());
    row.delivered_at = Set(Some(crate::time::now()));
    row.update(&txn).await?;
    let entry = AuditEntry::new("order.delivered", "order", order_id)
        .with_details(json!({ "number": order.number, "shipmentId": shipment_id }));
    record_change(&txn, Some(viewer.user.id), ctx, entry).await?;
    let items = store::items(&txn, order_id).await?;
    let pending = shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(order_id))
        .filter(shipment::Column::DeliveredAt.is_null())
        .one(&txn)
        .await?;
    if pending.is_none() && items.iter().all(|i| i.shipped_quantity >= i.quantity) {
        let pick = |t: &crate::workflow::Transition| {
            t.effects.contains(&Effect::StampCompleted) && !t.effects.contains(&Effect::ShipStock)
        };
        advance(
            &txn,
            state,
            viewer,
            order_id,
            pick,
            TransitionRequest {
                to: String::new(),
                note: Some("every shipment delivered".into()),
                fields: TransitionFields::default(),
            },
            ctx,
        )
        .await?;
    }
    txn.commit().await?;
    let all = store::shipments(state.db.conn(), order_id).await?;
    all.into_iter()
        .find(|(s, _)| s.id == shipment_id)
        .map(Into::into)
        .ok_or(AppError::NotFound("shipment"))
}
