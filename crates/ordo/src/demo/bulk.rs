//! `ordo seed --orders N`: many orders fast, for trying search, dashboards and exports at
//! scale and for benchmarks. Orders are generated like the demo's (every workflow and status,
//! items from the catalog, history with increasing times over the last year) but written with
//! multi-row inserts, a batch per transaction, instead of one API call each. They reserve no
//! stock and carry no shipment records; one audit entry records the load. Search documents and
//! the daily order counts are written with each batch.

use chrono::Duration;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use super::orders::{path, statuses, DESTINATIONS, MILLS, PARTIES, SERVICE_JOBS};
use super::people::DemoPeople;
use crate::audit::AuditEntry;
use crate::catalog::entity::{customer, product};
use crate::error::AppResult;
use crate::events::record_change;
use crate::http::context::RequestContext;
use crate::orders::entity::{history, item, order};
use crate::orders::search;
use crate::orders::service::numbering;
use crate::state::AppState;

/// Orders per transaction: large enough to amortize the commit, small enough to stay under
/// every backend's limit on statement parameters.
const BATCH: usize = 400;
const DAYS: i64 = 365;

/// What generated orders refer to, loaded once.
struct Catalog {
    materials: Vec<product::Model>,
    goods: Vec<product::Model>,
    /// Customers by id and name (at most [`MAX_CUSTOMERS`]).
    customers: Vec<(Uuid, String)>,
    /// Workflows whose first state moves on by itself: (workflow, seconds it waits, where to).
    /// Only orders younger than the wait are left in that state, as on a running system; older
    /// ones would be a backlog for the job to work through while the data is in use.
    first_state_timers: Vec<(String, i64, String)>,
}

const MAX_CUSTOMERS: u64 = 10_000;

async fn catalog<C: ConnectionTrait>(db: &C, default_wait_secs: u64) -> AppResult<Catalog> {
    let products = product::Entity::find()
        .filter(product::Column::Active.eq(true))
        .all(db)
        .await?;
    let (materials, goods) = products.into_iter().partition(|p| p.unit == "t");
    let customers = customer::Entity::find()
        .select_only()
        .columns([customer::Column::Id, customer::Column::Name])
        .filter(customer::Column::Active.eq(true))
        .limit(MAX_CUSTOMERS)
        .into_tuple()
        .all(db)
        .await?;
    let first_state_timers = crate::workflow::builtin::all()
        .into_iter()
        .filter_map(|w| {
            let timer = w.timers.iter().find(|t| t.from == w.initial)?;
            let wait = timer.after_secs.unwrap_or(default_wait_secs);
            Some((
                w.name.clone(),
                i64::try_from(wait).unwrap_or(i64::MAX),
                timer.to.clone(),
            ))
        })
        .collect();
    Ok(Catalog {
        materials,
        goods,
        customers,
        first_state_timers,
    })
}

/// One generated order with its rows.
struct Generated {
    order: order::Model,
    items: Vec<item::ActiveModel>,
    history: Vec<history::ActiveModel>,
    document: String,
}

fn generate(
    number: String,
    people: &DemoPeople,
    catalog: &Catalog,
    currency: &str,
    rng: &mut StdRng,
) -> Generated {
    let now = crate::time::now();
    let id = Uuid::now_v7();
    let workflow = match rng.gen_range(0..4) {
        0 | 1 => "standard",
        2 => "rake",
        _ => "service",
    };
    let customer = catalog.customers.choose(rng);
    let customer_id = customer.map(|(id, _)| *id);
    // Orders of a customer with an account are that account's; the rest the manager keyed in.
    let created_by = people
        .customers
        .iter()
        .find(|c| c.customer_id == customer_id)
        .map(|c| c.user.id)
        .unwrap_or(people.manager.user.id);
    let created_at = now - Duration::minutes(rng.gen_range(1..DAYS * 24 * 60));
    let mut target = *statuses(workflow).choose(rng).unwrap_or(&"pending");
    let initial = match workflow {
        "rake" => "draft",
        _ => "pending",
    };
    if let Some((_, wait, to)) = catalog
        .first_state_timers
        .iter()
        .find(|(name, _, _)| name == workflow)
    {
        if target == initial && created_at < now - Duration::seconds(*wait) {
            target = statuses(workflow)
                .iter()
                .copied()
                .find(|s| *s == to.as_str())
                .unwrap_or(target);
        }
    }
    let steps = path(workflow, target);
    let mut at = created_at;
    let mut history = vec![history_row(id, None, initial, created_at)];
    let mut status = initial;
    let mut tracking = None;
    for (to, fields) in &steps {
        at = (at + Duration::minutes(rng.gen_range(30..72 * 60))).min(now);
        history.push(history_row(id, Some(status), to, at));
        status = to;
        tracking = fields.tracking_number.clone().or(tracking);
    }
    let finished = matches!(status, "delivered" | "completed");
    let shipped = matches!(status, "shipped" | "delivered");

    let mut lines: Vec<(&product::Model, i64)> = Vec::new();
    let (mut title, mut destination, mut party, mut origin, mut material, mut order_qty) =
        (None, None, None, None, None, None);
    match workflow {
        "standard" => {
            let count = rng.gen_range(1..=4);
            for p in catalog.goods.choose_multiple(rng, count) {
                lines.push((p, rng.gen_range(1..=5) * 1000));
            }
        }
        "rake" => {
            if let Some(p) = catalog.materials.choose(rng) {
                let qty = rng.gen_range(5_000..350_000);
                lines.push((p, qty));
                material = Some(p.sku.clone());
                order_qty = Some(qty);
            }
            title = Some("Rake order".to_string());
            destination = DESTINATIONS.choose(rng).map(|s| s.to_string());
            party = PARTIES.choose(rng).map(|s| s.to_string());
            origin = MILLS.choose(rng).map(|s| s.to_string());
        }
        _ => title = SERVICE_JOBS.choose(rng).map(|s| s.to_string()),
    }
    let items: Vec<item::Model> = lines
        .iter()
        .enumerate()
        .map(|(i, (p, qty))| item::Model {
            id: Uuid::now_v7(),
            order_id: id,
            position: i as i32 + 1,
            product_id: Some(p.id),
            code: p.sku.clone(),
            description: p.name.clone(),
            quantity: *qty,
            unit: p.unit.clone(),
            unit_price: p.price,
            line_total: crate::fixed::line_total(*qty, p.price).unwrap_or(0),
            shipped_quantity: if shipped || (finished && workflow == "rake") {
                *qty
            } else {
                0
            },
            reserved_quantity: 0,
        })
        .collect();
    let model = order::Model {
        id,
        number,
        workflow: workflow.to_string(),
        status: status.to_string(),
        priority: rng.gen_range(1..=4),
        customer_id,
        created_by,
        assignee_id: (workflow == "service")
            .then(|| people.staff.choose(rng).map(|s| s.user.id))
            .flatten(),
        title,
        description: None,
        special_instructions: None,
        currency: currency.to_string(),
        total: items.iter().map(|i| i.line_total).sum(),
        shipping_address: None,
        destination,
        origin,
        material_code: material,
        material_description: None,
        party,
        order_quantity: order_qty,
        dispatch_quantity: (finished && workflow == "rake")
            .then_some(order_qty)
            .flatten(),
        completion_notes: None,
        tracking_number: tracking,
        cancel_reason: (status == "cancelled").then(|| "Customer request".to_string()),
        valid_until: (workflow == "rake").then(|| created_at + Duration::days(60)),
        estimated_completion: (workflow == "service")
            .then(|| created_at + Duration::days(rng.gen_range(3..30))),
        completed_at: finished.then_some(at),
        status_changed_at: at,
        stock_reserved: false,
        attributes: "{}".into(),
        version: 1 + steps.len() as i32,
        created_at,
        updated_at: at,
    };
    let customer_name = customer.map(|(_, name)| name.as_str());
    let document = search::document(&model, customer_name, items.iter().map(|i| i.code.as_str()));
    Generated {
        order: model,
        items: items.into_iter().map(Into::into).collect(),
        history,
        document,
    }
}

fn history_row(
    order_id: Uuid,
    from: Option<&str>,
    to: &str,
    at: chrono::NaiveDateTime,
) -> history::ActiveModel {
    history::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order_id),
        from_status: Set(from.map(str::to_string)),
        to_status: Set(to.to_string()),
        actor_id: Set(None),
        note: Set(None),
        created_at: Set(at),
    }
}

/// Adds `count` orders; prints progress. Returns how many were written.
pub async fn load(
    state: &AppState,
    people: &DemoPeople,
    rng: &mut StdRng,
    count: usize,
) -> AppResult<usize> {
    let catalog = catalog(state.db.conn(), state.settings.auto_advance_after_secs).await?;
    let prefix = &state.settings.order_number_prefix;
    let currency = state.settings.default_currency.clone();
    let started = std::time::Instant::now();
    let mut written = 0;
    while written < count {
        let size = BATCH.min(count - written);
        let txn = state.db.begin_write().await?;
        let numbers = numbering::reserve(&txn, prefix, size as i64).await?;
        let batch: Vec<Generated> = numbers
            .into_iter()
            .map(|n| generate(n, people, &catalog, &currency, rng))
            .collect();
        let mut orders = Vec::with_capacity(size);
        let mut items = Vec::with_capacity(size * 3);
        let mut history = Vec::with_capacity(size * 3);
        let mut documents = Vec::with_capacity(size);
        let mut stats = crate::orders::stats::Delta::default();
        for g in batch {
            let order_id = g.order.id;
            stats.add(&g.order);
            orders.push(order::ActiveModel::from(g.order));
            items.extend(g.items);
            history.extend(g.history);
            documents.push(search::row::ActiveModel {
                id: sea_orm::NotSet,
                order_id: Set(order_id),
                document: Set(g.document),
            });
        }
        order::Entity::insert_many(orders)
            .exec_without_returning(&txn)
            .await?;
        // Parameters per statement stay under every backend's limit.
        for chunk in chunked(items, 1500) {
            item::Entity::insert_many(chunk)
                .exec_without_returning(&txn)
                .await?;
        }
        for chunk in chunked(history, 2000) {
            history::Entity::insert_many(chunk)
                .exec_without_returning(&txn)
                .await?;
        }
        search::row::Entity::insert_many(documents)
            .exec_without_returning(&txn)
            .await?;
        stats.apply(&txn).await?;
        written += size;
        if written == count {
            let entry = AuditEntry::new("orders.bulk_loaded", "order", "*")
                .with_details(json!({ "count": count }));
            record_change(&txn, None, &RequestContext::system("seed"), entry).await?;
        }
        txn.commit().await?;
        if written % 50_000 < BATCH || written == count {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{written} orders in {secs:.1} s ({:.0}/s)",
                written as f64 / secs.max(0.001)
            );
        }
    }
    Ok(written)
}

fn chunked<T>(mut rows: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::new();
    while rows.len() > size {
        let rest = rows.split_off(size);
        chunks.push(rows);
        rows = rest;
    }
    if !rows.is_empty() {
        chunks.push(rows);
    }
    chunks
}
