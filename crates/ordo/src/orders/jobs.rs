//! The background job: orders that waited long enough in a state with a timer move on through
//! the same transition path, with the system as actor. Each order moves in its own transaction
//! and claims its version first, so two instances running the job never move an order twice.

use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entity::order;
use super::service::transition::{fire, TransitionRequest};
use crate::error::{AppError, AppResult};
use crate::http::context::RequestContext;
use crate::state::AppState;
use crate::workflow::engine::Actor;
use crate::workflow::store as workflows;

/// Orders read per query; a run pages through all that are due.
const BATCH: u64 = 500;

/// Runs the job once and answers how many orders moved.
pub async fn auto_advance(state: &AppState) -> AppResult<u64> {
    let ctx = RequestContext::system("auto-advance");
    let mut moved = 0;
    for workflow in workflows::list(state.db.conn()).await? {
        for timer in &workflow.timers {
            let wait = timer
                .after_secs
                .unwrap_or(state.settings.auto_advance_after_secs);
            let cutoff = i64::try_from(wait)
                .ok()
                .and_then(chrono::Duration::try_seconds)
                .and_then(|d| crate::time::now().checked_sub_signed(d));
            let Some(cutoff) = cutoff else {
                tracing::warn!(workflow = %workflow.name, wait, "timer wait out of range; skipped");
                continue;
            };
            // Page by (status_changed_at, id) so orders that cannot move (short of stock, say)
            // never hold back the ones behind them.
            let mut after: Option<(chrono::NaiveDateTime, uuid::Uuid)> = None;
            loop {
                let mut query = order::Entity::find()
                    .filter(order::Column::Workflow.eq(workflow.name.clone()))
                    .filter(order::Column::Status.eq(timer.from.clone()))
                    .filter(order::Column::StatusChangedAt.lte(cutoff));
                if let Some((at, id)) = after {
                    query = query.filter(
                        sea_orm::Condition::any()
                            .add(order::Column::StatusChangedAt.gt(at))
                            .add(
                                sea_orm::Condition::all()
                                    .add(order::Column::StatusChangedAt.eq(at))
                                    .add(order::Column::Id.gt(id)),
                            ),
                    );
                }
                let due: Vec<order::Model> = query
                    .order_by_asc(order::Column::StatusChangedAt)
                    .order_by_asc(order::Column::Id)
                    .limit(BATCH)
                    .all(state.db.conn())
                    .await?;
                let Some(last) = due.last() else { break };
                after = Some((last.status_changed_at, last.id));
                let full_page = due.len() as u64 == BATCH;
                for order in due {
                    if advance_one(state, &workflow, timer, order, wait, &ctx).await? {
                        moved += 1;
                    }
                }
                if !full_page {
                    break;
                }
            }
        }
    }
    if moved > 0 {
        tracing::info!(moved, "auto-advance moved orders");
    }
    Ok(moved)
}

/// Moves one due order in its own transaction; false when another instance got there first or
/// the order cannot move now.
async fn advance_one(
    state: &AppState,
    workflow: &crate::workflow::Workflow,
    timer: &crate::workflow::definition::Timer,
    order: order::Model,
    wait: u64,
    ctx: &RequestContext,
) -> AppResult<bool> {
    let request = TransitionRequest {
        to: timer.to.clone(),
        note: Some(format!("moved on after {wait} s in {}", timer.from)),
        fields: Default::default(),
    };
    let txn = state.db.begin_write().await?;
    // Re-read inside the transaction: another instance may have moved it already.
    let Some(current) = order::Entity::find_by_id(order.id).one(&txn).await? else {
        return Ok(false);
    };
    if current.status != timer.from || current.version != order.version {
        return Ok(false);
    }
    match fire(
        &txn,
        state,
        workflow,
        current,
        Actor::SYSTEM,
        None,
        &request,
        ctx,
    )
    .await
    {
        Ok(_) => match txn.commit().await {
            Ok(()) => Ok(true),
            Err(err) => {
                tracing::warn!(order = %order.id, error = %err, "auto-advance skipped an order");
                Ok(false)
            }
        },
        // Lost the race for this order, or its stock ran out: leave it for people.
        Err(AppError::Conflict { .. } | AppError::StateConflict { .. }) => Ok(false),
        Err(err) => {
            tracing::warn!(order = %order.id, error = format!("{err:#}"), "auto-advance skipped an order");
            Ok(false)
        }
    }
}

/// Runs [`auto_advance`] every `auto_advance_interval_secs` until `stop` resolves, and drops
/// expired idempotency keys as it goes.
pub async fn run_periodically(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let interval = state.settings.auto_advance_interval_secs;
    if interval == 0 {
        return;
    }
    let mut ticker = tokio::time::interval(Duration::from_secs(interval));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        if let Err(err) = auto_advance(&state).await {
            tracing::error!(error = %err, "auto-advance failed");
        }
        if let Err(err) = super::idempotency::purge_expired(&state).await {
            tracing::error!(error = %err, "idempotency key purge failed");
        }
    }
}
