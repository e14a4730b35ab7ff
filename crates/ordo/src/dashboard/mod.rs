//! Dashboards: figures over the orders a viewer may see (customers their own, staff those
//! assigned to them, managers and admins all), for a period cut into days of the viewer's zone.
//! Each figure is one grouped query over indexed columns, never a scan of every order.

pub mod inventory;
pub mod overview;
pub mod per_day;
pub mod range;
pub mod routes;
pub mod sales;
pub mod sql;
pub mod trends;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition};
use serde::Serialize;
use utoipa::ToSchema;

use crate::orders::entity::order;
use crate::workflow::Workflow;
use range::Range;

/// The period a dashboard answered for.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: String,
}

impl Period {
    pub fn of(range: &Range) -> Self {
        Period {
            from: range.from,
            to: range.to,
            tz: range.tz.name().to_string(),
        }
    }
}

/// Orders that ended without being completed: in a final state, never stamped completed.
pub fn cancelled(workflows: &[Workflow]) -> Condition {
    let mut any = Condition::any();
    for workflow in workflows {
        let finals: Vec<&str> = workflow
            .states
            .iter()
            .filter(|s| s.terminal)
            .map(|s| s.name.as_str())
            .collect();
        any = any.add(
            Condition::all()
                .add(order::Column::Workflow.eq(workflow.name.as_str()))
                .add(order::Column::Status.is_in(finals))
                .add(order::Column::CompletedAt.is_null()),
        );
    }
    any
}
