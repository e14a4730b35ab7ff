use chrono::Duration;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::people::DemoPeople;
use super::products::DemoCatalog;
use crate::error::AppResult;
use crate::http::context::RequestContext;
use crate::orders::access::Viewer;
use crate::orders::entity::{history, order};
use crate::orders::input::{ItemInput, OrderInput};
use crate::orders::service::assign::{self, AssigneeRequest};
use crate::orders::service::create;
use crate::orders::service::transition::{self, TransitionFields, TransitionRequest};
use crate::state::AppState;

pub(super) const DESTINATIONS: [&str; 5] = ["MUMBAI", "CHENNAI", "KOLKATA", "DELHI", "VIZAG"];
pub(super) const PARTIES: [&str; 4] =
    ["ACME-INFRA", "NORTHERN-RAIL", "COASTAL-SHIP", "METRO-BUILD"];
pub(super) const MILLS: [&str; 4] = ["BSP", "RSP", "DSP", "BSL"];
pub(super) const SERVICE_JOBS: [&str; 6] = [
    "Crane inspection",
    "Conveyor belt repair",
    "Furnace relining",
    "Hydraulic press service",
    "Weighbridge calibration",
    "Roller replacement",
];

/// The path to each final status, as transitions (target status, fields).
pub(super) fn path(workflow: &str, target: &str) -> Vec<(&'static str, TransitionFields)> {
    let tracking = || TransitionFields {
        tracking_number: Some(format!(
            "TRK{}",
            Uuid::new_v4().simple().to_string()[..10].to_uppercase()
        )),
        ..Default::default()
    };
    let cancel = || TransitionFields {
        reason: Some("Customer request".into()),
        ..Default::default()
    };
    match (workflow, target) {
        ("standard", "pending") => vec![],
        ("standard", "processing") => vec![("processing", Default::default())],
        ("standard", "shipped") => {
            vec![("processing", Default::default()), ("shipped", tracking())]
        }
        ("standard", "delivered") => vec![
            ("processing", Default::default()),
            ("shipped", tracking()),
            ("delivered", Default::default()),
        ],
        ("standard", _) => vec![("cancelled", cancel())],
        ("rake", "draft") => vec![],
        ("rake", "finalized") => vec![("finalized", Default::default())],
        ("rake", _) => vec![
            ("finalized", Default::default()),
            ("completed", Default::default()),
        ],
        ("service", "pending") => vec![],
        ("service", "in_progress") => vec![("in_progress", Default::default())],
        ("service", "on_hold") => vec![
            ("in_progress", Default::default()),
            ("on_hold", Default::default()),
        ],
        ("service", "completed") => vec![
            ("in_progress", Default::default()),
            ("completed", Default::default()),
        ],
        _ => vec![("cancelled", cancel())],
    }
}

pub(super) fn statuses(workflow: &str) -> &'static [&'static str] {
    match workflow {
        "standard" => &[
            "pending",
            "processing",
            "shipped",
            "delivered",
            "delivered",
            "delivered",
            "cancelled",
        ],
        "rake" => &["draft", "finalized", "completed", "completed"],
        _ => &[
            "pending",
            "in_progress",
            "on_hold",
            "completed",
            "completed",
            "cancelled",
        ],
    }
}

fn input_for(
    workflow: &str,
    people: &DemoPeople,
    catalog: &DemoCatalog,
    rng: &mut StdRng,
) -> OrderInput {
    let priority = Some(rng.gen_range(1..=4));
    let lines = rng.gen_range(1..=4);
    match workflow {
        "standard" => OrderInput {
            workflow: Some("standard".into()),
            priority,
            items: Some(
                catalog
                    .goods
                    .choose_multiple(rng, lines)
                    .map(|p| ItemInput {
                        product_id: Some(p.id),
                        quantity: Decimal::from(1 + p.sku.len() % 5),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        },
        "rake" => {
            let material = catalog.materials.choose(rng).map(|m| m.sku.clone());
            OrderInput {
                workflow: Some("rake".into()),
                priority,
                destination: DESTINATIONS.choose(rng).map(|s| s.to_string()),
                party: PARTIES.choose(rng).map(|s| s.to_string()),
                origin: MILLS.choose(rng).map(|s| s.to_string()),
                material_code: material,
                order_quantity: Some(Decimal::new(rng.gen_range(5_000..350_000), 3)),
                valid_until: Some(chrono::Utc::now() + Duration::days(rng.gen_range(10..120))),
                title: Some("Rake order".into()),
                ..Default::default()
            }
        }
        _ => OrderInput {
            workflow: Some("service".into()),
            priority,
            customer_id: people.customer_ids.choose(rng).copied(),
            title: SERVICE_JOBS.choose(rng).map(|s| s.to_string()),
            description: Some("Reported by the plant maintenance team".into()),
            ..Default::default()
        },
    }
}

pub async fn seed(
    state: &AppState,
    people: &DemoPeople,
    catalog: &DemoCatalog,
    rng: &mut StdRng,
    count: usize,
) -> AppResult<usize> {
    let ctx = RequestContext::system("demo");
    let mut created = Vec::with_capacity(count);
    for i in 0..count {
        let workflow = match i % 4 {
            0 | 1 => "standard",
            2 => "rake",
            _ => "service",
        };
        let creator: &Viewer = match workflow {
            "standard" => people.customers.choose(rng).unwrap_or(&people.admin),
            "rake" if rng.gen_bool(0.5) => people.customers.choose(rng).unwrap_or(&people.admin),
            _ => &people.manager,
        };
        let mut input = input_for(workflow, people, catalog, rng);
        if workflow == "rake" && creator.customer_id.is_none() {
            input.customer_id = people.customer_ids.choose(rng).copied();
        }

        let order = create::create(state, creator, input, &ctx).await?.order;
        let target = *statuses(workflow).choose(rng).unwrap_or(&"pending");
        if workflow == "service" {
            let staff = people.staff.choose(rng).map(|s| s.user.id);
            assign::assign(
                state,
                &people.manager,
                order.id,
                AssigneeRequest { user_id: staff },
                &ctx,
            )
            .await?;
        }
        for (to, mut fields) in path(workflow, target) {
            if to == "completed" && workflow == "rake" {
                let ordered = order.order_quantity.unwrap_or(0);
                let dispatched = ordered - rng.gen_range(0..=ordered / 50);
                fields.dispatch_quantity = Some(crate::fixed::qty(dispatched));
                fields.completion_notes = Some(format!("Rake {}", rng.gen_range(1000..9999)));
            }
            let request = TransitionRequest {
                to: to.into(),
                note: None,
                fields,
            };
            transition::transition(state, &people.manager, order.id, request, &ctx).await?;
        }
        created.push(order.id);
    }
    backdate(state, &created, rng).await?;
    Ok(created.len())
}

/// Spreads the orders over the last 90 days, keeping each one's history in order.
async fn backdate(state: &AppState, orders: &[Uuid], rng: &mut StdRng) -> AppResult<()> {
    let now = crate::time::now();
    let txn = state.db.begin_write().await?;
    for id in orders {
        let created = now - Duration::minutes(rng.gen_range(10..90 * 24 * 60));
        let steps = history::Entity::find()
            .filter(history::Column::OrderId.eq(*id))
            .order_by_asc(history::Column::CreatedAt)
            .order_by_asc(history::Column::Id)
            .all(&txn)
            .await?;
        let mut at = created;
        for (i, step) in steps.iter().enumerate() {
            if i > 0 {
                at = (at + Duration::minutes(rng.gen_range(30..72 * 60))).min(now);
            }
            history::Entity::update_many()
                .col_expr(history::Column::CreatedAt, Expr::value(at))
                .filter(history::Column::Id.eq(step.id))
                .exec(&txn)
                .await?;
        }
        let finished = steps
            .last()
            .is_some_and(|s| matches!(s.to_status.as_str(), "delivered" | "completed"));
        let before = crate::orders::store::find(&txn, *id).await?;
        order::Entity::update_many()
            .col_expr(order::Column::CreatedAt, Expr::value(created))
            .col_expr(order::Column::UpdatedAt, Expr::value(at))
            .col_expr(order::Column::StatusChangedAt, Expr::value(at))
            .col_expr(
                order::Column::CompletedAt,
                Expr::value(finished.then_some(at)),
            )
            .filter(order::Column::Id.eq(*id))
            .exec(&txn)
            .await?;
        let after = crate::orders::store::find(&txn, *id).await?;
        crate::orders::stats::record(&txn, Some(&before), Some(&after)).await?;
    }
    txn.commit().await?;
    Ok(())
}
