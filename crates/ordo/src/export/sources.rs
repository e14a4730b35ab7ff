//! The exportable lists, each read a page at a time in key order with the same filters and
//! role scoping as the list it mirrors.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::cell::Cell;
use super::{Export, Page, Rows, PAGE};
use crate::audit::entity as audit_log;
use crate::audit::service::AuditFilter;
use crate::catalog::entity::{customer, product};
use crate::db::rows::{self, required, RowValues};
use crate::db::Db;
use crate::error::AppResult;
use crate::fixed;
use crate::inventory::entity::{level, movement};
use crate::orders::access::Viewer;
use crate::orders::entity::{item, order};
use crate::orders::service::read::{self, OrderFilter};
use crate::state::AppState;

/// The order columns; `orders/import` reads the same ones (and ignores those it computes).
pub const ORDER_COLUMNS: &[&str] = &[
    "id",
    "number",
    "workflow",
    "status",
    "priority",
    "customerId",
    "customerName",
    "title",
    "description",
    "currency",
    "total",
    "items",
    "shippingAddress",
    "destination",
    "origin",
    "materialCode",
    "materialDescription",
    "party",
    "orderQuantity",
    "dispatchQuantity",
    "trackingNumber",
    "validUntil",
    "estimatedCompletion",
    "completedAt",
    "assigneeId",
    "createdBy",
    "createdAt",
    "updatedAt",
];

/// The order columns read for an export, in [`ORDER_COLUMNS`] order without the customer's name
/// and the items: the name is selected last, the items come from their own statement.
const ORDER_SELECT: [order::Column; 26] = {
    use order::Column::*;
    [
        Id,
        Number,
        Workflow,
        Status,
        Priority,
        CustomerId,
        Title,
        Description,
        Currency,
        Total,
        ShippingAddress,
        Destination,
        Origin,
        MaterialCode,
        MaterialDescription,
        Party,
        OrderQuantity,
        DispatchQuantity,
        TrackingNumber,
        ValidUntil,
        EstimatedCompletion,
        CompletedAt,
        AssigneeId,
        CreatedBy,
        CreatedAt,
        UpdatedAt,
    ]
};

/// Where the items' cell goes in an order's row.
const ITEMS_CELL: usize = 11;

pub fn orders(state: AppState, viewer: Viewer, filter: OrderFilter) -> Export {
    Export {
        name: "orders",
        sheet: "Orders",
        columns: ORDER_COLUMNS,
        next_page: Box::new(move |after| {
            let (state, viewer, filter) = (state.clone(), viewer.clone(), filter.clone());
            Box::pin(async move { order_page(&state, &viewer, &filter, after).await })
        }),
    }
}

/// The orders after `after`; their items are read by the page's own task, while the next
/// page's orders are (after this page's, so every order read has its items committed).
async fn order_page(
    state: &AppState,
    viewer: &Viewer,
    filter: &OrderFilter,
    after: Option<Uuid>,
) -> AppResult<Page> {
    let mut query = read::filtered(state, viewer, filter)?;
    if let Some(after) = after {
        query = query.filter(order::Column::Id.gt(after));
    }
    let page = query
        .select_only()
        .columns(ORDER_SELECT)
        .expr(Expr::cust(
            "(SELECT name FROM customers WHERE customers.id = orders.customer_id)",
        ))
        .order_by_asc(order::Column::Id)
        .limit(PAGE)
        .build(state.db.backend());
    let orders = rows::select_blocking(&state.db, page, order_row).await?;
    Ok(Page {
        len: orders.len(),
        last: orders.last().map(|(id, _)| *id),
        rows: Box::pin(with_items(state.db.clone(), orders)),
    })
}

/// `orders` with their items' cells filled in.
async fn with_items(db: Db, mut orders: Vec<(Uuid, Vec<Cell>)>) -> AppResult<Rows> {
    let items = item::Entity::find()
        .select_only()
        .columns([
            item::Column::OrderId,
            item::Column::Code,
            item::Column::Quantity,
            item::Column::UnitPrice,
        ])
        .filter(item::Column::OrderId.is_in(orders.iter().map(|(id, _)| *id)))
        .order_by_asc(item::Column::OrderId)
        .order_by_asc(item::Column::Position)
        .build(db.backend());
    let mut lines: HashMap<Uuid, String> = HashMap::with_capacity(orders.len());
    for (order_id, line) in rows::select_blocking(&db, items, item_line).await? {
        let cell = lines.entry(order_id).or_default();
        if !cell.is_empty() {
            cell.push_str("; ");
        }
        cell.push_str(&line);
    }
    for (id, row) in &mut orders {
        row[ITEMS_CELL] = Cell::text(lines.remove(id).unwrap_or_default());
    }
    Ok(orders.into_iter().map(|(_, cells)| cells).collect())
}

/// An order's row, with an empty cell where its items go.
fn order_row(row: &dyn RowValues) -> Result<(Uuid, Vec<Cell>), DbErr> {
    let id = required(row.uuid(0)?, 0)?;
    let text = |column| row.text(column).map(Cell::opt_text);
    let uuid = |column| row.uuid(column).map(Cell::opt_uuid);
    let amount = |column, as_decimal: fn(i64) -> rust_decimal::Decimal| {
        row.int(column)
            .map(|n| Cell::opt_decimal(n.map(as_decimal)))
    };
    let time = |column| row.time(column).map(Cell::opt_time);
    let cells = vec![
        Cell::Uuid(id),
        text(1)?,
        text(2)?,
        text(3)?,
        row.int(4)?.map_or(Cell::Empty, Cell::Int),
        uuid(5)?,
        text(26)?,
        text(6)?,
        text(7)?,
        text(8)?,
        amount(9, fixed::money)?,
        Cell::Empty,
        text(10)?,
        text(11)?,
        text(12)?,
        text(13)?,
        text(14)?,
        text(15)?,
        amount(16, fixed::qty)?,
        amount(17, fixed::qty)?,
        text(18)?,
        time(19)?,
        time(20)?,
        time(21)?,
        uuid(22)?,
        uuid(23)?,
        time(24)?,
        time(25)?,
    ];
    Ok((id, cells))
}

/// An item as its order's id and `CODE x QUANTITY @ PRICE`; an order's lines are joined by `; `.
fn item_line(row: &dyn RowValues) -> Result<(Uuid, String), DbErr> {
    let order_id = required(row.uuid(0)?, 0)?;
    let code = required(row.text(1)?, 1)?;
    let quantity = required(row.int(2)?, 2)?;
    let price = required(row.int(3)?, 3)?;
    Ok((
        order_id,
        format!(
            "{code} x {} @ {}",
            fixed::qty(quantity),
            fixed::money(price)
        ),
    ))
}

pub const CUSTOMER_COLUMNS: &[&str] = &[
    "id",
    "name",
    "email",
    "phone",
    "billingAddress",
    "shippingAddress",
    "userId",
    "active",
    "createdAt",
    "updatedAt",
];

pub fn customers(state: AppState) -> Export {
    Export {
        name: "customers",
        sheet: "Customers",
        columns: CUSTOMER_COLUMNS,
        next_page: Box::new(move |after| {
            let state = state.clone();
            Box::pin(async move {
                let query = customer::Entity::find();
                keyed_page(&state, query, customer::Column::Id, after, customer_row).await
            })
        }),
    }
}

fn customer_row(c: customer::Model) -> (Uuid, Vec<Cell>) {
    let row = vec![
        Cell::Uuid(c.id),
        Cell::text(c.name),
        Cell::opt_text(c.email),
        Cell::opt_text(c.phone),
        Cell::opt_text(c.billing_address),
        Cell::opt_text(c.shipping_address),
        Cell::opt_uuid(c.user_id),
        Cell::Bool(c.active),
        Cell::Time(c.created_at),
        Cell::Time(c.updated_at),
    ];
    (c.id, row)
}

/// The rows of `query` after `after` in the order of `key`, at most [`PAGE`] of them, each made
/// into its cells by `cells`.
async fn keyed_page<E: EntityTrait>(
    state: &AppState,
    mut query: Select<E>,
    key: E::Column,
    after: Option<Uuid>,
    cells: fn(E::Model) -> (Uuid, Vec<Cell>),
) -> AppResult<Page> {
    if let Some(after) = after {
        query = query.filter(key.gt(after));
    }
    let rows = query
        .order_by_asc(key)
        .limit(PAGE)
        .all(state.db.conn())
        .await?;
    Ok(Page::ready(rows.into_iter().map(cells).collect()))
}

/// The product columns; `products/import` reads the same ones.
pub const PRODUCT_COLUMNS: &[&str] = &[
    "id",
    "sku",
    "name",
    "description",
    "unit",
    "price",
    "currency",
    "reorderLevel",
    "onHand",
    "reserved",
    "active",
    "createdAt",
    "updatedAt",
];

pub fn products(state: AppState) -> Export {
    Export {
        name: "products",
        sheet: "Products",
        columns: PRODUCT_COLUMNS,
        next_page: Box::new(move |after| {
            let state = state.clone();
            Box::pin(async move {
                let mut query = product::Entity::find().find_also_related(level::Entity);
                if let Some(after) = after {
                    query = query.filter(product::Column::Id.gt(after));
                }
                let rows = query
                    .order_by_asc(product::Column::Id)
                    .limit(PAGE)
                    .all(state.db.conn())
                    .await?;
                Ok(Page::ready(
                    rows.into_iter()
                        .map(|(p, level)| {
                            let (on_hand, reserved) =
                                level.map_or((0, 0), |l| (l.on_hand, l.reserved));
                            let row = vec![
                                Cell::Uuid(p.id),
                                Cell::text(p.sku),
                                Cell::text(p.name),
                                Cell::opt_text(p.description),
                                Cell::text(p.unit),
                                Cell::Decimal(fixed::money(p.price)),
                                Cell::text(p.currency),
                                Cell::Decimal(fixed::qty(p.reorder_level)),
                                Cell::Decimal(fixed::qty(on_hand)),
                                Cell::Decimal(fixed::qty(reserved)),
                                Cell::Bool(p.active),
                                Cell::Time(p.created_at),
                                Cell::Time(p.updated_at),
                            ];
                            (p.id, row)
                        })
                        .collect::<Vec<_>>(),
                ))
            })
        }),
    }
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct MovementFilter {
    pub product_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    /// `receipt`, `adjustment`, `reservation`, `release` or `shipment`.
    pub kind: Option<String>,
    /// RFC 3339; inclusive.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339; exclusive.
    pub to: Option<DateTime<Utc>>,
}

pub const MOVEMENT_COLUMNS: &[&str] = &[
    "id",
    "productId",
    "kind",
    "quantity",
    "onHandAfter",
    "reservedAfter",
    "reason",
    "orderId",
    "actorId",
    "createdAt",
];

pub fn movements(state: AppState, filter: MovementFilter) -> Export {
    Export {
        name: "inventory-movements",
        sheet: "Movements",
        columns: MOVEMENT_COLUMNS,
        next_page: Box::new(move |after| {
            let (state, f) = (state.clone(), filter.clone());
            Box::pin(async move {
                let mut query = movement::Entity::find();
                if let Some(id) = f.product_id {
                    query = query.filter(movement::Column::ProductId.eq(id));
                }
                if let Some(id) = f.order_id {
                    query = query.filter(movement::Column::OrderId.eq(id));
                }
                if let Some(kind) = f.kind.filter(|k| !k.is_empty()) {
                    query = query.filter(movement::Column::Kind.eq(kind));
                }
                if let Some(from) = f.from {
                    query =
                        query.filter(movement::Column::CreatedAt.gte(crate::time::stored(from)));
                }
                if let Some(to) = f.to {
                    query = query.filter(movement::Column::CreatedAt.lt(crate::time::stored(to)));
                }
                keyed_page(&state, query, movement::Column::Id, after, movement_row).await
            })
        }),
    }
}

fn movement_row(m: movement::Model) -> (Uuid, Vec<Cell>) {
    let row = vec![
        Cell::Uuid(m.id),
        Cell::Uuid(m.product_id),
        Cell::text(m.kind),
        Cell::Decimal(fixed::qty(m.quantity)),
        Cell::Decimal(fixed::qty(m.on_hand_after)),
        Cell::Decimal(fixed::qty(m.reserved_after)),
        Cell::opt_text(m.reason),
        Cell::opt_uuid(m.order_id),
        Cell::opt_uuid(m.actor_id),
        Cell::Time(m.created_at),
    ];
    (m.id, row)
}

pub const AUDIT_COLUMNS: &[&str] = &[
    "id",
    "createdAt",
    "actorId",
    "action",
    "entityType",
    "entityId",
    "ip",
    "userAgent",
    "requestId",
    "details",
];

pub fn audit(state: AppState, filter: AuditFilter) -> Export {
    Export {
        name: "audit-log",
        sheet: "Audit log",
        columns: AUDIT_COLUMNS,
        next_page: Box::new(move |after| {
            let (state, filter) = (state.clone(), filter.clone());
            Box::pin(async move {
                let query = crate::audit::service::filtered(filter);
                keyed_page(&state, query, audit_log::Column::Id, after, audit_row).await
            })
        }),
    }
}

fn audit_row(a: audit_log::Model) -> (Uuid, Vec<Cell>) {
    let row = vec![
        Cell::Uuid(a.id),
        Cell::Time(a.created_at),
        Cell::opt_uuid(a.actor_id),
        Cell::text(a.action),
        Cell::text(a.entity_type),
        Cell::opt_text(a.entity_id),
        Cell::opt_text(a.ip),
        Cell::opt_text(a.user_agent),
        Cell::opt_text(a.request_id),
        Cell::text(a.details),
    ];
    (a.id, row)
}
