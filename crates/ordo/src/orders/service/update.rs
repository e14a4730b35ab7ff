//! Editing and deleting orders. Managers and admins edit any open order; owners edit and delete
//! their own while the workflow still allows (a draft, a pending order).

use crate::db::Deferring;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use super::effects;
use crate::audit::AuditEntry;
use crate::catalog::customers;
use crate::error::{AppError, AppResult, FieldError};
use crate::events::record_change;
use crate::http::context::RequestContext;
use crate::identity::fields::Checker;
use crate::identity::role::Role;
use crate::orders::access::Viewer;
use crate::orders::entity::order::{self, Column};
use crate::orders::input::{self, OrderInput};
use crate::orders::store;
use crate::orders::view::OrderSummary;
use crate::state::AppState;
use crate::workflow::{store as workflows, Workflow};

/// Whether `viewer` may change the order's fields or items now.
pub fn ensure_editable(
    viewer: &Viewer,
    workflow: &Workflow,
    order: &order::Model,
) -> AppResult<()> {
    viewer.ensure_visible(order)?;
    let terminal = workflow.state(&order.status).is_some_and(|s| s.terminal);
    let allowed = match viewer.user.role {
        Role::Admin | Role::Manager => !terminal,
        _ => viewer.is_owner(order) && workflow.is_editable_in(&order.status),
    };
    if allowed {
        Ok(())
    } else if terminal {
        Err(AppError::rule(
            "ORDER_CLOSED",
            format!("The order is {} and can no longer be changed", order.status),
        ))
    } else {
        Err(AppError::Forbidden(format!(
            "You may not change this order while it is {}",
            order.status
        )))
    }
}

/// Claims `expected` (or the current version) and bumps it; 409 if someone else changed it.
pub async fn claim_version<C: ConnectionTrait>(
    db: &C,
    order: &order::Model,
    expected: Option<i32>,
) -> AppResult<()> {
    let expected = expected.unwrap_or(order.version);
    let claimed = order::Entity::update_many()
        .col_expr(
            Column::Version,
            sea_orm::sea_query::Expr::col(Column::Version).add(1),
        )
        .col_expr(
            Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(crate::time::now()),
        )
        .filter(Column::Id.eq(order.id))
        .filter(Column::Version.eq(expected))
        .exec(db)
        .await?
        .rows_affected;
    if claimed == 1 {
        Ok(())
    } else {
        Err(AppError::conflict(
            "version",
            format!(
                "The order is at version {}, not {expected}; reload it and try again",
                order.version
            ),
        ))
    }
}

pub async fn update(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: OrderInput,
    if_match: Option<i32>,
    ctx: &RequestContext,
) -> AppResult<order::Model> {
    let txn = state.db.begin_write().await?;
    let after = update_in(&txn, viewer, id, input, if_match, ctx).await?;
    txn.commit().await?;
    Ok(after)
}

/// Updates inside the caller's write transaction.
pub async fn update_in<C: Deferring>(
    txn: &C,
    viewer: &Viewer,
    id: Uuid,
    input: OrderInput,
    if_match: Option<i32>,
    ctx: &RequestContext,
) -> AppResult<order::Model> {
    let mut check = Checker::default();
    for (field, present) in [
        ("workflow", input.workflow.is_some()),
        ("number", input.number.is_some()),
        ("items", input.items.is_some()),
    ] {
        if present {
            let hint = if field == "items" {
                "use /orders/{id}/items"
            } else {
                "cannot change after creation"
            };
            check.add(FieldError::new(field, hint));
        }
    }
    let before = store::find_for_update(txn, id).await?;
    let workflow = workflows::get(txn, &before.workflow).await?;
    ensure_editable(viewer, &workflow, &before)?;
    let mut row: order::ActiveModel = before.clone().into();
    input::apply_fields(txn, &input, &mut row, &mut check).await?;
    if let Some(customer_id) = input.customer_id {
        if matches!(viewer.user.role, Role::Admin | Role::Manager) {
            match customers::find(txn, customer_id).await {
                Ok(_) => row.customer_id = Set(Some(customer_id)),
                Err(AppError::NotFound(_)) => {
                    check.add(FieldError::new("customerId", "no such customer"))
                }
                Err(other) => return Err(other),
            }
        } else if Some(customer_id) != before.customer_id {
            check.add(FieldError::new(
                "customerId",
                "only managers can move an order to another customer",
            ));
        }
    }
    check.finish()?;
    claim_version(txn, &before, if_match.or(input.version)).await?;
    row.version = Set(before.version + 1);
    row.updated_at = Set(crate::time::now());
    let after = row.update(txn).await?;
    crate::orders::stats::record(txn, Some(&before), Some(&after)).await?;
    if crate::orders::search::affects_document(&before, &after) {
        crate::orders::search::refresh(txn, &after).await?;
    }
    let entry = AuditEntry::new("order.updated", "order", id).with_details(json!({
        "number": after.number,
        "before": OrderSummary::from(before),
        "after": OrderSummary::from(after.clone()),
    }));
    record_change(txn, Some(viewer.user.id), ctx, entry).await?;
    Ok(after)
}

/// Admins delete any order; owners delete their own while it is editable. Reserved stock returns.
pub async fn delete(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    ctx: &RequestContext,
) -> AppResult<()> {
    let txn = state.db.begin_write().await?;
    delete_in(&txn, viewer, id, ctx).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes inside the caller's write transaction.
pub async fn delete_in<C: Deferring>(
    txn: &C,
    viewer: &Viewer,
    id: Uuid,
    ctx: &RequestContext,
) -> AppResult<()> {
    let order = store::find_for_update(txn, id).await?;
    viewer.ensure_visible(&order)?;
    let workflow = workflows::get(txn, &order.workflow).await?;
    let allowed = viewer.user.role == Role::Admin
        || (viewer.is_owner(&order) && workflow.is_editable_in(&order.status));
    if !allowed {
        return Err(AppError::Forbidden(format!(
            "You may not delete this order while it is {}",
            order.status
        )));
    }
    let items = store::items(txn, id).await?;
    effects::resync_reservations(txn, &order, items, false, Some(viewer.user.id)).await?;
    order::Entity::delete_by_id(id).exec(txn).await?;
    crate::orders::stats::record(txn, Some(&order), None).await?;
    let entry = AuditEntry::new("order.deleted", "order", id)
        .with_details(json!({ "before": OrderSummary::from(order) }));
    record_change(txn, Some(viewer.user.id), ctx, entry).await?;
    Ok(())
}
