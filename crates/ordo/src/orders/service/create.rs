//! Placing an order.

use std::sync::Arc;

use crate::db::{Deferring, FixedInsert};
use sea_orm::{ConnectionTrait, IntoActiveModel, Set, TryIntoModel};
use serde_json::json;
use uuid::Uuid;

use super::effects;
pub use super::numbering::Taking;
use crate::audit::AuditEntry;
use crate::catalog::{customers, entity::product};
use crate::error::{AppError, AppResult, FieldError};
use crate::events::record_change;
use crate::fixed;
use crate::http::context::RequestContext;
use crate::identity::fields::Checker;
use crate::identity::role::Role;
use crate::inventory::ledger;
use crate::orders::access::Viewer;
use crate::orders::entity::{history, item, order};
use crate::orders::input::{self, KnownProducts, NewItem, OrderInput};
use crate::state::AppState;
use crate::workflow::{store as workflows, Effect, OrderField, Workflow};

fn too_large() -> AppError {
    AppError::field("items", "a line total is too large")
}

/// The rows of `items` for `order_id` from position `start`, not yet written.
fn item_rows(order_id: Uuid, items: Vec<NewItem>, start: i32) -> AppResult<Vec<item::Model>> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, new)| {
            Ok(item::Model {
                id: Uuid::now_v7(),
                order_id,
                position: start + i as i32,
                product_id: new.product_id,
                line_total: fixed::line_total(new.quantity, new.unit_price)
                    .ok_or_else(too_large)?,
                code: new.code,
                description: new.description,
                quantity: new.quantity,
                unit: new.unit,
                unit_price: new.unit_price,
                shipped_quantity: 0,
                reserved_quantity: 0,
            })
        })
        .collect()
}

/// Writes item rows in one statement.
async fn write_items<C: Deferring>(db: &C, rows: &[item::Model]) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    static INSERT: FixedInsert = FixedInsert::new();
    let rows = rows.iter().map(|row| row.clone().into_active_model());
    db.defer_insert(&INSERT, rows.collect()).await?;
    Ok(())
}

/// Inserts `items` for `order_id` from position `start`.
pub async fn insert_items<C: Deferring>(
    db: &C,
    order_id: Uuid,
    items: Vec<NewItem>,
    start: i32,
) -> AppResult<Vec<item::Model>> {
    let rows = item_rows(order_id, items, start)?;
    write_items(db, &rows).await?;
    Ok(rows)
}

/// A rake order names a material and a quantity instead of items: it becomes one item, linked to
/// the product whose SKU is the material code when there is one, so stock follows the order.
async fn item_from_material<C: ConnectionTrait>(
    db: &C,
    row: &order::ActiveModel,
) -> AppResult<Option<NewItem>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let (Some(Some(code)), Some(Some(quantity))) = (
        row.material_code.try_as_ref(),
        row.order_quantity.try_as_ref(),
    ) else {
        return Ok(None);
    };
    let product = product::Entity::find()
        .filter(product::Column::Sku.eq(code.clone()))
        .one(db)
        .await?;
    let description = row.material_description.try_as_ref().cloned().flatten();
    Ok(Some(NewItem {
        product_id: product.as_ref().filter(|p| p.active).map(|p| p.id),
        code: code.clone(),
        description: description
            .or_else(|| product.as_ref().map(|p| p.name.clone()))
            .unwrap_or_else(|| code.clone()),
        quantity: *quantity,
        unit: product
            .as_ref()
            .map(|p| p.unit.clone())
            .unwrap_or_else(|| "t".into()),
        unit_price: product.as_ref().map(|p| p.price).unwrap_or(0),
    }))
}

/// An order as it was placed: everything written about it, so that it can be shown without
/// being read back.
pub struct PlacedOrder {
    pub order: order::Model,
    pub items: Vec<item::Model>,
    pub history: history::Model,
    pub workflow: Arc<Workflow>,
}

pub async fn create(
    state: &AppState,
    viewer: &Viewer,
    input: OrderInput,
    ctx: &RequestContext,
) -> AppResult<PlacedOrder> {
    let known = known_products(state, &input).await?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let attempt = async {
            let txn = state.db.begin_write().await?;
            let created =
                create_in(&txn, state, viewer, &input, &known, Taking::Apart, ctx).await?;
            txn.commit().await?;
            Ok(created)
        };
        match attempt.await {
            // A generated number that was keyed in by hand or taken by another process
            // meanwhile (see `numbering::next_number`): the order was not written, and the next
            // try takes a new number (on PostgreSQL and MySQL the one taken stays a gap).
            Err(AppError::Conflict {
                field: Some(field), ..
            }) if field == "number" && input.number.is_none() && attempts < 3 => {}
            result => return explain_shortage(state, &input, &known, result).await,
        }
    }
}

/// `result`, with a reservation that failed only when its transaction was sent (on SQLite the
/// stock is reserved together with the commit) explained: which of the order's products is
/// short, and how much of it is available.
pub async fn explain_shortage<T>(
    state: &AppState,
    input: &OrderInput,
    known: &KnownProducts,
    result: AppResult<T>,
) -> AppResult<T> {
    match result {
        Err(err) if ledger::is_held_shortage(&err) => {
            let lines: Vec<(Uuid, &str, i64)> = input
                .items
                .iter()
                .flatten()
                .filter_map(|item| {
                    let product = known.get(&item.product_id?)?;
                    let qty = fixed::positive_qty("quantity", item.quantity).ok()?;
                    Some((product.id, product.sku.as_str(), qty))
                })
                .collect();
            // Read in the writers' turn: the orders that took the stock may not be committed
            // yet, and the pool's connections would not see them.
            let txn = state.db.begin_write().await?;
            let explained = ledger::explain_shortage(&txn, &lines).await;
            txn.commit().await?;
            Err(explained)
        }
        other => other,
    }
}

/// The products that `input`'s items name, read before the writers' turn is taken: on SQLite
/// every statement made during the turn holds up every other writer.
pub async fn known_products(state: &AppState, input: &OrderInput) -> AppResult<KnownProducts> {
    match &input.items {
        Some(items) => input::known_products(&state.db, items).await,
        None => Ok(KnownProducts::new()),
    }
}

/// Creates the order inside the caller's write transaction (so idempotency keys can share it),
/// taking products from `known` where they are there, and a generated number as `taking` says.
pub async fn create_in<C: Deferring>(
    db: &C,
    state: &AppState,
    viewer: &Viewer,
    input: &OrderInput,
    known: &KnownProducts,
    taking: Taking,
    ctx: &RequestContext,
) -> AppResult<PlacedOrder> {
    let mut check = Checker::default();
    let workflow_name = input
        .workflow
        .clone()
        .unwrap_or_else(|| state.settings.default_workflow.clone());
    let Some(workflow) = workflows::find(db, workflow_name.trim()).await? else {
        return Err(AppError::field(
            "workflow",
            format!("{workflow_name} is not a known workflow"),
        ));
    };
    let number = match &input.number {
        // Chosen numbers are for staff who key in numbers from elsewhere; customers could
        // otherwise take the numbers the generator is about to hand out.
        Some(_) if !viewer.may_price() => {
            check.add(FieldError::new(
                "number",
                "only managers choose order numbers",
            ));
            None
        }
        Some(n) => {
            super::numbering::forget_counters(db);
            check.check(input::parse_number(n))
        }
        // Generated once the order is known to be valid (below).
        None => None,
    };
    // Customers order for themselves; staff and managers may name any active customer.
    let mut customer = None;
    let customer_id = match (viewer.user.role, input.customer_id) {
        (Role::Customer, Some(id)) if Some(id) != viewer.customer_id => {
            check.add(FieldError::new(
                "customerId",
                "you can only order for yourself",
            ));
            None
        }
        (Role::Customer, _) => {
            customer = viewer.customer.clone();
            viewer.customer_id
        }
        (_, Some(id)) => match customers::find(db, id).await {
            Ok(c) if c.active => {
                customer = Some(c);
                Some(id)
            }
            Ok(_) => {
                check.add(FieldError::new("customerId", "the customer is deactivated"));
                None
            }
            Err(AppError::NotFound(_)) => {
                check.add(FieldError::new("customerId", "no such customer"));
                None
            }
            Err(other) => return Err(other),
        },
        (_, None) => None,
    };
    let now = crate::time::now();
    let id = Uuid::now_v7();
    let mut row = order::ActiveModel {
        id: Set(id),
        number: Set(number.unwrap_or_default()),
        workflow: Set(workflow.name.clone()),
        status: Set(workflow.initial.clone()),
        priority: Set(3),
        customer_id: Set(customer_id),
        created_by: Set(viewer.user.id),
        assignee_id: Set(None),
        title: Set(None),
        description: Set(None),
        special_instructions: Set(None),
        currency: Set(state.settings.default_currency.clone()),
        total: Set(0),
        shipping_address: Set(None),
        destination: Set(None),
        origin: Set(None),
        material_code: Set(None),
        material_description: Set(None),
        party: Set(None),
        order_quantity: Set(None),
        dispatch_quantity: Set(None),
        completion_notes: Set(None),
        tracking_number: Set(None),
        cancel_reason: Set(None),
        valid_until: Set(None),
        estimated_completion: Set(None),
        completed_at: Set(None),
        status_changed_at: Set(now),

        stock_reserved: Set(false),
        attributes: Set("{}".into()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    input::apply_fields(db, input, &mut row, &mut check).await?;
    if let (Some(id), None) = (customer_id, &customer) {
        customer = match customers::find(db, id).await {
            Ok(c) => Some(c),
            Err(AppError::NotFound(_)) => None,
            Err(other) => return Err(other),
        };
    }
    if let (Some(customer), None) = (&customer, &input.shipping_address) {
        row.shipping_address = Set(customer.shipping_address.clone());
    }
    let mut new_items = match &input.items {
        Some(items) => {
            input::parse_items(db, items, known, viewer.may_price(), &mut check, "items").await?
        }
        None => Vec::new(),
    };
    if new_items.is_empty() && input.items.is_none() {
        if let Some(derived) = item_from_material(db, &row).await? {
            new_items.push(derived);
        }
    }
    for field in &workflow.required_on_create {
        let present = match field {
            OrderField::Items => !new_items.is_empty(),
            OrderField::Customer => customer_id.is_some(),
            OrderField::ShippingAddress => {
                matches!(row.shipping_address.try_as_ref(), Some(Some(_)))
            }
            OrderField::Destination => matches!(row.destination.try_as_ref(), Some(Some(_))),
            OrderField::MaterialCode => matches!(row.material_code.try_as_ref(), Some(Some(_))),
            OrderField::Party => matches!(row.party.try_as_ref(), Some(Some(_))),
            OrderField::Origin => matches!(row.origin.try_as_ref(), Some(Some(_))),
            OrderField::OrderQuantity => matches!(row.order_quantity.try_as_ref(), Some(Some(_))),
            OrderField::ValidUntil => matches!(row.valid_until.try_as_ref(), Some(Some(_))),
            OrderField::TrackingNumber => matches!(row.tracking_number.try_as_ref(), Some(Some(_))),
            _ => true,
        };
        let already_reported = check_has_field(&check, field.as_str());
        if !present && !already_reported {
            check.add(FieldError::new(
                field.as_str(),
                format!("is required for {} orders", workflow.name),
            ));
        }
    }
    check.finish()?;
    // Everything the order's row holds is known before it is written: the total, and whether
    // the workflow reserves the items' stock on creation (a shortage fails the whole order).
    let mut items = item_rows(id, new_items, 1)?;
    let reserve = workflow.on_create.contains(&Effect::ReserveStock);
    row.total = Set(effects::total(&items));
    row.stock_reserved = Set(reserve);
    // The number last, once nothing about the request can be refused any more.
    if input.number.is_none() {
        let prefix = &state.settings.order_number_prefix;
        let number = super::numbering::generate(db, &state.db, prefix, taking).await?;
        row.number = Set(number);
    }
    // Every column is set, so the row as written is known without reading it back.
    let created = row.clone().try_into_model()?;
    static INSERT: FixedInsert = FixedInsert::new();
    db.defer_insert(&INSERT, vec![row]).await?;
    if reserve {
        effects::mark_reserved(&mut items);
    }
    write_items(db, &items).await?;
    let document = crate::orders::search::document(
        &created,
        customer.as_ref().map(|c| c.name.as_str()),
        items.iter().map(|i| i.code.as_str()),
    );
    crate::orders::search::insert(db, id, document).await?;
    let history =
        super::write_history(db, id, None, &created.status, Some(viewer.user.id), None).await?;
    let entry = AuditEntry::new("order.created", "order", id).with_details(json!({
        "number": created.number, "workflow": created.workflow, "status": created.status,
        "customerId": created.customer_id, "total": fixed::money(created.total), "currency": created.currency,
        "items": items.iter().map(|i| json!({ "code": i.code, "quantity": fixed::qty(i.quantity), "unitPrice": fixed::money(i.unit_price) })).collect::<Vec<_>>(),
    }));
    record_change(db, Some(viewer.user.id), ctx, entry).await?;
    // Last, the rows every new order changes: on PostgreSQL and MySQL each stays locked from its
    // change until the commit, so the fewer statements after it, the less new orders wait for
    // each other (the stock rows of the products, the day's counts).
    if reserve {
        effects::reserve_new(db, &created, &items, Some(viewer.user.id)).await?;
    }
    crate::orders::stats::record(db, None, Some(&created)).await?;
    Ok(PlacedOrder {
        order: created,
        items,
        history,
        workflow,
    })
}

fn check_has_field(check: &Checker, field: &str) -> bool {
    check.has_error_for(field)
}
