//! The one path by which an order changes status: API calls, the seeds' shortcut routes,
//! shipments that complete an order, and the background job all come through [`fire`].

use crate::db::Deferring;
use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::effects;
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult, FieldError};
use crate::events::record_change;
use crate::fixed;
use crate::http::context::RequestContext;
use crate::identity::fields::{self, Checker};
use crate::orders::entity::order::{self, Column};
use crate::orders::search;
use crate::orders::store;
use crate::state::AppState;
use crate::workflow::engine::{self, Actor, Facts, Refusal};
use crate::workflow::{store as workflows, Effect, OrderField, Workflow};

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransitionFields {
    #[schema(max_length = 100)]
    pub tracking_number: Option<String>,
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "118.5")]
    pub dispatch_quantity: Option<Decimal>,
    #[schema(max_length = 5000)]
    pub completion_notes: Option<String>,
    /// Why the order is cancelled.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransitionRequest {
    /// The status to move to.
    pub to: String,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
    #[serde(default)]
    pub fields: TransitionFields,
}

/// The order's values after the request's fields are applied.
struct Merged {
    tracking_number: Option<String>,
    dispatch_quantity: Option<i64>,
    completion_notes: Option<String>,
    cancel_reason: Option<String>,
}

fn merge(order: &order::Model, fields_in: &TransitionFields) -> AppResult<Merged> {
    let mut check = Checker::default();
    let text = |check: &mut Checker, field: &str, v: &Option<String>, max: usize| {
        v.as_ref()
            .and_then(|v| check.check(fields::optional_text(field, Some(v), max)))
            .flatten()
    };
    let merged = Merged {
        tracking_number: text(
            &mut check,
            "trackingNumber",
            &fields_in.tracking_number,
            100,
        )
        .or_else(|| order.tracking_number.clone()),
        dispatch_quantity: fields_in
            .dispatch_quantity
            .and_then(|q| check.check(fixed::non_negative_qty("dispatchQuantity", q)))
            .or(order.dispatch_quantity),
        completion_notes: text(
            &mut check,
            "completionNotes",
            &fields_in.completion_notes,
            5000,
        )
        .or_else(|| order.completion_notes.clone()),
        cancel_reason: text(&mut check, "reason", &fields_in.reason, 500)
            .or_else(|| order.cancel_reason.clone()),
    };
    check.finish()?;
    Ok(merged)
}

fn has(order: &order::Model, merged: &Merged, field: OrderField) -> bool {
    match field {
        OrderField::Customer => order.customer_id.is_some(),
        // Items are checked where they are known; a transition does not require them.
        OrderField::Items => true,
        OrderField::Assignee => order.assignee_id.is_some(),
        OrderField::ShippingAddress => order.shipping_address.is_some(),
        OrderField::TrackingNumber => merged.tracking_number.is_some(),
        OrderField::Destination => order.destination.is_some(),
        OrderField::MaterialCode => order.material_code.is_some(),
        OrderField::Party => order.party.is_some(),
        OrderField::Origin => order.origin.is_some(),
        OrderField::OrderQuantity => order.order_quantity.is_some(),
        OrderField::ValidUntil => order.valid_until.is_some(),
        OrderField::DispatchQuantity => merged.dispatch_quantity.is_some(),
        OrderField::CompletionNotes => merged.completion_notes.is_some(),
        OrderField::CancelReason => merged.cancel_reason.is_some(),
    }
}

fn refusal_error(refusal: Refusal, to: &str) -> AppError {
    match refusal {
        Refusal::NoSuchTransition { from, to } => AppError::rule(
            "INVALID_TRANSITION",
            format!("An order cannot move from {from} to {to}"),
        ),
        Refusal::Forbidden => AppError::Forbidden(format!("You may not move this order to {to}")),
        Refusal::WindowClosed { deadline } => AppError::rule(
            "CANCELLATION_WINDOW_CLOSED",
            format!(
                "The window for this closed at {}",
                deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ),
        Refusal::MissingFields(missing) => AppError::Validation(
            missing
                .into_iter()
                .map(|f| {
                    FieldError::new(f.as_str(), format!("is required to move the order to {to}"))
                })
                .collect(),
        ),
    }
}

/// The facts the engine needs, for `order` with `merged` values.
pub fn facts<'a>(
    state: &AppState,
    order: &'a order::Model,
    has: &'a dyn Fn(OrderField) -> bool,
) -> Facts<'a> {
    Facts {
        status: &order.status,
        created_at: crate::time::utc(order.created_at),
        now: Utc::now(),
        owner_window: Duration::seconds(state.settings.cancellation_window_secs as i64),
        has,
    }
}

/// Moves `order` to `request.to` for `actor` inside `db` (a write transaction): checks the
/// workflow, claims the order's version, applies the effects, writes history, audit and event.
#[allow(clippy::too_many_arguments)]
pub async fn fire<C: Deferring>(
    db: &C,
    state: &AppState,
    workflow: &Workflow,
    order: order::Model,
    actor: Actor,
    actor_id: Option<Uuid>,
    request: &TransitionRequest,
    ctx: &RequestContext,
) -> AppResult<order::Model> {
    let merged = merge(&order, &request.fields)?;
    let has_field = |f: OrderField| has(&order, &merged, f);
    let transition = engine::check(
        workflow,
        &request.to,
        &actor,
        &facts(state, &order, &has_field),
    )
    .map_err(|r| refusal_error(r, &request.to))?
    .clone();
    let note = request
        .note
        .as_ref()
        .and_then(|n| fields::optional_text("note", Some(n), 1000).ok())
        .flatten();
    let now = crate::time::now();
    // Claim the version first: of two concurrent movers, exactly one gets past this line. The
    // claim answers the row as it is now, so it is not read again.
    let claim = order::Entity::update_many()
        .col_expr(Column::Status, Expr::value(transition.to.clone()))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::StatusChangedAt, Expr::value(now))
        .col_expr(
            Column::TrackingNumber,
            Expr::value(merged.tracking_number.clone()),
        )
        .col_expr(
            Column::DispatchQuantity,
            Expr::value(merged.dispatch_quantity),
        )
        .col_expr(
            Column::CompletionNotes,
            Expr::value(merged.completion_notes.clone()),
        )
        .col_expr(
            Column::CancelReason,
            Expr::value(merged.cancel_reason.clone()),
        )
        .filter(Column::Id.eq(order.id))
        .filter(Column::Version.eq(order.version));
    let Some(mut after) = crate::db::update_one(db, claim, order.id).await? else {
        return Err(AppError::conflict(
            "version",
            "The order was changed meanwhile; reload it and try again",
        ));
    };
    let terminal = workflow.state(&transition.to).is_some_and(|s| s.terminal);
    // The items matter only to effects and to ending the order (which releases its stock).
    let mut items = if transition.effects.is_empty() && !terminal {
        Vec::new()
    } else {
        store::items(db, order.id).await?
    };
    let mut stock_reserved = order.stock_reserved;
    let mut dispatch = merged.dispatch_quantity;
    let mut completed_at = order.completed_at;
    for effect in &transition.effects {
        match effect {
            Effect::ReserveStock => {
                items = effects::resync_reservations(db, &order, items, true, actor_id).await?;
                stock_reserved = true;
            }
            Effect::ReleaseStock => {
                items = effects::resync_reservations(db, &order, items, false, actor_id).await?;
                stock_reserved = false;
            }
            Effect::ShipStock => {
                // Only a dispatch quantity sent with this request limits what leaves now; one
                // recorded by earlier shipments just says what has left already.
                let already: i64 = items.iter().map(|i| i.shipped_quantity).sum();
                let requested = request
                    .fields
                    .dispatch_quantity
                    .and_then(|q| fixed::non_negative_qty("dispatchQuantity", q).ok());
                if requested.is_some_and(|d| d < already) {
                    return Err(AppError::rule(
                        "BELOW_SHIPPED",
                        format!(
                            "{} has shipped already; the dispatch quantity cannot be less",
                            fixed::qty(already)
                        ),
                    ));
                }
                let limit = requested.map(|d| d - already);
                let (after, _) = effects::ship_open(db, &order, items, limit, actor_id).await?;
                items = after;
                dispatch = Some(
                    requested.unwrap_or_else(|| items.iter().map(|i| i.shipped_quantity).sum()),
                );
            }
            Effect::StampCompleted => completed_at = Some(now),
        }
    }
    if terminal && items.iter().any(|i| i.reserved_quantity > 0) {
        // Nothing stays reserved for an order that is over.
        effects::resync_reservations(db, &order, items, false, actor_id).await?;
        stock_reserved = false;
    }
    let effected = (stock_reserved, dispatch, completed_at);
    if effected
        != (
            after.stock_reserved,
            after.dispatch_quantity,
            after.completed_at,
        )
    {
        db.defer_query(
            &order::Entity::update_many()
                .col_expr(Column::StockReserved, Expr::value(stock_reserved))
                .col_expr(Column::DispatchQuantity, Expr::value(dispatch))
                .col_expr(Column::CompletedAt, Expr::value(completed_at))
                .filter(Column::Id.eq(order.id)),
        )
        .await?;
        (
            after.stock_reserved,
            after.dispatch_quantity,
            after.completed_at,
        ) = effected;
    }
    super::write_history(
        db,
        order.id,
        Some(&order.status),
        &transition.to,
        actor_id,
        note.clone(),
    )
    .await?;
    let entry = AuditEntry::new("order.status_changed", "order", order.id).with_details(json!({
        "number": order.number, "workflow": order.workflow, "transition": transition.name,
        "from": order.status, "to": transition.to, "note": note,
        "fields": { "trackingNumber": merged.tracking_number, "dispatchQuantity": dispatch.map(fixed::qty),
                    "completionNotes": merged.completion_notes, "reason": merged.cancel_reason },
    }));
    record_change(db, actor_id, ctx, entry).await?;
    crate::orders::stats::record(db, Some(&order), Some(&after)).await?;
    if search::affects_document(&order, &after) {
        search::refresh(db, &after).await?;
    }
    Ok(after)
}

/// A transition requested over the API by a signed-in user.
pub async fn transition(
    state: &AppState,
    viewer: &crate::orders::access::Viewer,
    order_id: Uuid,
    request: TransitionRequest,
    ctx: &RequestContext,
) -> AppResult<order::Model> {
    let txn = state.db.begin_write().await?;
    let updated = transition_in(&txn, state, viewer, order_id, &request, ctx).await?;
    txn.commit().await?;
    Ok(updated)
}

/// A user's transition inside the caller's write transaction.
pub async fn transition_in<C: Deferring>(
    txn: &C,
    state: &AppState,
    viewer: &crate::orders::access::Viewer,
    order_id: Uuid,
    request: &TransitionRequest,
    ctx: &RequestContext,
) -> AppResult<order::Model> {
    let order = store::find_for_update(txn, order_id).await?;
    viewer.ensure_visible(&order)?;
    let workflow = workflows::get(txn, &order.workflow).await?;
    let actor = viewer.actor(&order);
    fire(
        txn,
        state,
        &workflow,
        order,
        actor,
        Some(viewer.user.id),
        request,
        ctx,
    )
    .await
}
