//! Assigning an order to the staff member (or manager) who works it.

use crate::db::Deferring;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::update::claim_version;
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult};
use crate::events::record_change;
use crate::http::context::RequestContext;
use crate::identity::role::Role;
use crate::identity::service::users;
use crate::orders::access::Viewer;
use crate::orders::entity::order;
use crate::orders::store;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssigneeRequest {
    /// A staff or manager account; `null` unassigns.
    pub user_id: Option<Uuid>,
}

pub async fn assign(
    state: &AppState,
    viewer: &Viewer,
    order_id: Uuid,
    req: AssigneeRequest,
    ctx: &RequestContext,
) -> AppResult<order::Model> {
    let txn = state.db.begin_write().await?;
    let updated = assign_in(&txn, viewer, order_id, req, ctx).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Assigns inside the caller's write transaction.
pub async fn assign_in<C: Deferring>(
    txn: &C,
    viewer: &Viewer,
    order_id: Uuid,
    req: AssigneeRequest,
    ctx: &RequestContext,
) -> AppResult<order::Model> {
    let order = store::find_for_update(txn, order_id).await?;
    viewer.ensure_visible(&order)?;
    if let Some(user_id) = req.user_id {
        let user = users::find_live(txn, user_id)
            .await
            .map_err(|_| AppError::field("userId", "no such user"))?;
        if !user.active || !matches!(Role::parse(&user.role), Some(Role::Staff | Role::Manager)) {
            return Err(AppError::field(
                "userId",
                "must be an active staff or manager account",
            ));
        }
    }
    claim_version(txn, &order, None).await?;
    order::Entity::update_many()
        .col_expr(order::Column::AssigneeId, Expr::value(req.user_id))
        .filter(order::Column::Id.eq(order_id))
        .exec(txn)
        .await?;
    let entry = AuditEntry::new("order.assigned", "order", order_id).with_details(
        json!({ "number": order.number, "before": order.assignee_id, "after": req.user_id }),
    );
    record_change(txn, Some(viewer.user.id), ctx, entry).await?;
    store::find(txn, order_id).await
}
