//! `POST /orders/bulk`: one action on many orders. Each order goes through the same service as
//! its single-order route (same rules, audit and event). By default each order is its own
//! transaction and the answer says per order what happened; `atomic` makes it all or nothing.

use crate::db::Deferring;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::assign::{self, AssigneeRequest};
use super::transition::{self, TransitionFields, TransitionRequest};
use super::update;
use crate::error::{AppError, AppResult, ErrorDetail, FieldError};
use crate::http::context::RequestContext;
use crate::identity::permissions::{allows, Permission};
use crate::orders::access::Viewer;
use crate::orders::input::OrderInput;
use crate::orders::stats;
use crate::state::AppState;

/// The most orders one request may name.
pub const MAX_IDS: usize = 500;

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum BulkAction {
    Transition,
    Assign,
    Delete,
    SetPriority,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest {
    /// 1 to 500 distinct order ids.
    pub ids: Vec<Uuid>,
    pub action: BulkAction,
    /// `transition`: the status to move to, with an optional note and fields.
    pub to: Option<String>,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
    #[serde(default)]
    pub fields: TransitionFields,
    /// `assign`: a staff or manager account, or `null` to unassign.
    #[serde(default, with = "crate::http::json::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Option<Option<Uuid>>,
    /// `set-priority`: 1 (urgent) to 4.
    pub priority: Option<i32>,
    /// All or nothing: one transaction, rolled back at the first failure.
    #[serde(default)]
    pub atomic: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Changed (and committed).
    Done,
    /// This order's change was refused; see `error`.
    Failed,
    /// Atomic run: this order's change was undone because another failed.
    RolledBack,
    /// Atomic run: not tried, because an earlier order failed.
    Skipped,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkItemResult {
    pub id: Uuid,
    pub outcome: Outcome,
    /// The HTTP status the single-order route would have answered.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkResponse {
    pub action: BulkAction,
    pub atomic: bool,
    pub succeeded: usize,
    pub failed: usize,
    pub results: Vec<BulkItemResult>,
}

/// The request's own mistakes, found before any order is touched.
fn validate(viewer: &Viewer, req: &BulkRequest) -> AppResult<()> {
    let mut errors = Vec::new();
    if req.ids.is_empty() || req.ids.len() > MAX_IDS {
        errors.push(FieldError::new(
            "ids",
            format!("must name 1 to {MAX_IDS} orders"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = req.ids.iter().find(|id| !seen.insert(**id)) {
        errors.push(FieldError::new("ids", format!("{dup} is named twice")));
    }
    match req.action {
        BulkAction::Transition if req.to.as_deref().is_none_or(|t| t.trim().is_empty()) => {
            errors.push(FieldError::new("to", "is required for transition"))
        }
        BulkAction::Assign if req.user_id.is_none() => errors.push(FieldError::new(
            "userId",
            "is required for assign (null unassigns)",
        )),
        BulkAction::SetPriority if !req.priority.is_some_and(|p| (1..=4).contains(&p)) => {
            errors.push(FieldError::new("priority", "must be 1, 2, 3 or 4"))
        }
        _ => {}
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let needed = match req.action {
        BulkAction::Assign => Permission::AssignOrders,
        _ => Permission::WorkOrders,
    };
    if !allows(viewer.user.role, needed) {
        return Err(AppError::Forbidden(
            "Your role may not do this to orders".into(),
        ));
    }
    Ok(())
}

/// Applies the action to one order inside `txn`.
async fn apply<C: Deferring>(
    txn: &C,
    state: &AppState,
    viewer: &Viewer,
    req: &BulkRequest,
    id: Uuid,
    ctx: &RequestContext,
) -> AppResult<()> {
    match req.action {
        BulkAction::Transition => {
            let request = TransitionRequest {
                to: req.to.clone().unwrap_or_default(),
                note: req.note.clone(),
                fields: req.fields.clone(),
            };
            transition::transition_in(txn, state, viewer, id, &request, ctx).await?;
        }
        BulkAction::Assign => {
            let request = AssigneeRequest {
                user_id: req.user_id.flatten(),
            };
            assign::assign_in(txn, viewer, id, request, ctx).await?;
        }
        BulkAction::Delete => update::delete_in(txn, viewer, id, ctx).await?,
        BulkAction::SetPriority => {
            let input = OrderInput {
                priority: req.priority,
                ..Default::default()
            };
            update::update_in(txn, viewer, id, input, None, ctx).await?;
        }
    }
    Ok(())
}

pub async fn run(
    state: &AppState,
    viewer: &Viewer,
    req: BulkRequest,
    ctx: &RequestContext,
) -> AppResult<BulkResponse> {
    validate(viewer, &req)?;
    let mut results = Vec::with_capacity(req.ids.len());
    if req.atomic {
        let txn = state.db.begin_write().await?;
        let (failure, summary) = stats::deferred(async {
            for (i, id) in req.ids.iter().enumerate() {
                // Sent now, so a failure is reported for the order that caused it.
                let applied = match apply(&txn, state, viewer, &req, *id, ctx).await {
                    Ok(()) => txn.flush().await.map_err(AppError::from),
                    failed => failed,
                };
                if let Err(err) = applied {
                    return Some((i, err));
                }
            }
            None
        })
        .await;
        match failure {
            None => {
                summary.apply(&txn).await?;
                txn.commit().await?;
                results.extend(req.ids.iter().map(|id| done(*id)));
            }
            Some((at, err)) => {
                drop(txn);
                for (i, id) in req.ids.iter().enumerate() {
                    results.push(match i.cmp(&at) {
                        std::cmp::Ordering::Less => outcome(*id, Outcome::RolledBack),
                        std::cmp::Ordering::Equal => failed(*id, &err),
                        std::cmp::Ordering::Greater => outcome(*id, Outcome::Skipped),
                    });
                }
            }
        }
    } else {
        for id in &req.ids {
            let txn = state.db.begin_write().await?;
            let applied = match apply(&txn, state, viewer, &req, *id, ctx).await {
                Ok(()) => txn.commit().await.map_err(AppError::from),
                Err(err) => Err(err),
            };
            match applied {
                Ok(()) => results.push(done(*id)),
                Err(err) => results.push(failed(*id, &err)),
            }
        }
    }
    let succeeded = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Done))
        .count();
    Ok(BulkResponse {
        action: req.action,
        atomic: req.atomic,
        succeeded,
        failed: results.len() - succeeded,
        results,
    })
}

fn done(id: Uuid) -> BulkItemResult {
    outcome(id, Outcome::Done)
}

fn outcome(id: Uuid, outcome: Outcome) -> BulkItemResult {
    let status = match outcome {
        Outcome::Done => 200,
        _ => 409,
    };
    BulkItemResult {
        id,
        outcome,
        status,
        error: None,
    }
}

fn failed(id: Uuid, err: &AppError) -> BulkItemResult {
    BulkItemResult {
        id,
        outcome: Outcome::Failed,
        status: err.status().as_u16(),
        error: Some(err.detail()),
    }
}
