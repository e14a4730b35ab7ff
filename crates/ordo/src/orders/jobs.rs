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

/// Orders moved per run at most; the next run picks up the rest.
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
            let cutoff = crate::time::now() - chrono::Duration::seconds(wait as i64);
            let due: Vec<order::Model> = order::Entity::find()
                .filter(order::Column::Workflow.eq(workflow.name.clone()))
                .filter(order::Column::Status.eq(timer.from.clone()))
                .filter(order::Column::CreatedAt.lte(cutoff))
                .order_by_asc(order::Column::CreatedAt)
                .limit(BATCH)
                .all(state.db.conn())
                .await?;
            for order in due {
                let request = TransitionRequest {
                    to: timer.to.clone(),
                    note: Some(format!("moved on after {wait} s in {}", timer.from)),
                    fields: Default::default(),
                };
                let txn = state.db.begin_write().await?;
                // Re-read inside the transaction: another instance may have moved it already.
                let Some(current) = order::Entity::find_by_id(order.id).one(&*txn).await? else {
                    continue;
                };
                if current.status != timer.from || current.version != order.version {
                    continue;
                }
                match fire(
                    &*txn,
                    state,
                    &workflow,
                    current,
                    Actor::SYSTEM,
                    None,
                    &request,
                    &ctx,
                )
                .await
                {
                    Ok(_) => {
                        txn.commit().await?;
                        moved += 1;
                    }
                    // Lost the race for this order, or its stock ran out: leave it for people.
                    Err(AppError::Conflict { .. } | AppError::StateConflict { .. }) => {}
                    Err(err) => {
                        tracing::warn!(order = %order.id, error = format!("{err:#}"), "auto-advance skipped an order");
                    }
                }
            }
        }
    }
    if moved > 0 {
        tracing::info!(moved, "auto-advance moved orders");
    }
    Ok(moved)
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
