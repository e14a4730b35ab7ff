//! The exportable lists, each read a page at a time in key order with the same filters and
//! role scoping as the list it mirrors.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::cell::Cell;
use super::{Export, PAGE};
use crate::audit::entity as audit_log;
use crate::audit::service::AuditFilter;
use crate::catalog::customers;
use crate::catalog::entity::{customer, product};
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

/// An item as one cell: `CODE x QUANTITY @ PRICE`, lines separated by `; `.
pub fn items_cell(items: &[item::Model]) -> String {
    items
        .iter()
        .map(|i| {
            format!(
                "{} x {} @ {}",
                i.code,
                fixed::qty(i.quantity),
                fixed::money(i.unit_price)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn orders(state: AppState, viewer: Viewer, filter: OrderFilter) -> Export {
    Export {
        name: "orders",
        sheet: "Orders",
        columns: ORDER_COLUMNS,
        next_page: Box::new(move |after| {
            let (state, viewer, filter) = (state.clone(), viewer.clone(), filter.clone());
            Box::pin(async move {
                let db = state.db.conn();
                let mut query = read::filtered(&state, &viewer, &filter)?;
                if let Some(after) = after {
                    query = query.filter(order::Column::Id.gt(after));
                }
                let orders = query
                    .order_by_asc(order::Column::Id)
                    .limit(PAGE)
                    .all(db)
                    .await?;
                let ids: Vec<Uuid> = orders.iter().map(|o| o.id).collect();
                let mut items: HashMap<Uuid, Vec<item::Model>> = HashMap::new();
                for line in item::Entity::find()
                    .filter(item::Column::OrderId.is_in(ids))
                    .order_by_asc(item::Column::OrderId)
                    .order_by_asc(item::Column::Position)
                    .all(db)
                    .await?
                {
                    items.entry(line.order_id).or_default().push(line);
                }
                let names =
                    customers::names(db, orders.iter().filter_map(|o| o.customer_id)).await?;
                Ok(orders
                    .into_iter()
                    .map(|o| {
                        let lines = items.get(&o.id).map(Vec::as_slice).unwrap_or_default();
                        let row = vec![
                            Cell::text(o.id.to_string()),
                            Cell::text(&o.number),
                            Cell::text(&o.workflow),
                            Cell::text(&o.status),
                            Cell::Int(o.priority.into()),
                            Cell::opt_text(o.customer_id.map(|c| c.to_string())),
                            Cell::opt_text(o.customer_id.and_then(|c| names.get(&c).cloned())),
                            Cell::opt_text(o.title.clone()),
                            Cell::opt_text(o.description.clone()),
                            Cell::text(&o.currency),
                            Cell::Decimal(fixed::money(o.total)),
                            Cell::text(items_cell(lines)),
                            Cell::opt_text(o.shipping_address.clone()),
                            Cell::opt_text(o.destination.clone()),
                            Cell::opt_text(o.origin.clone()),
                            Cell::opt_text(o.material_code.clone()),
                            Cell::opt_text(o.material_description.clone()),
                            Cell::opt_text(o.party.clone()),
                            Cell::opt_decimal(o.order_quantity.map(fixed::qty)),
                            Cell::opt_decimal(o.dispatch_quantity.map(fixed::qty)),
                            Cell::opt_text(o.tracking_number.clone()),
                            Cell::opt_time(o.valid_until),
                            Cell::opt_time(o.estimated_completion),
                            Cell::opt_time(o.completed_at),
                            Cell::opt_text(o.assignee_id.map(|a| a.to_string())),
                            Cell::text(o.created_by.to_string()),
                            Cell::Time(o.created_at),
                            Cell::Time(o.updated_at),
                        ];
                        (o.id, row)
                    })
                    .collect())
            })
        }),
    }
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
                let mut query = customer::Entity::find();
                if let Some(after) = after {
                    query = query.filter(customer::Column::Id.gt(after));
                }
                let rows = query
                    .order_by_asc(customer::Column::Id)
                    .limit(PAGE)
                    .all(state.db.conn())
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|c| {
                        let row = vec![
                            Cell::text(c.id.to_string()),
                            Cell::text(c.name),
                            Cell::opt_text(c.email),
                            Cell::opt_text(c.phone),
                            Cell::opt_text(c.billing_address),
                            Cell::opt_text(c.shipping_address),
                            Cell::opt_text(c.user_id.map(|u| u.to_string())),
                            Cell::Bool(c.active),
                            Cell::Time(c.created_at),
                            Cell::Time(c.updated_at),
                        ];
                        (c.id, row)
                    })
                    .collect())
            })
        }),
    }
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
                Ok(rows
                    .into_iter()
                    .map(|(p, level)| {
                        let (on_hand, reserved) = level.map_or((0, 0), |l| (l.on_hand, l.reserved));
                        let row = vec![
                            Cell::text(p.id.to_string()),
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
                    .collect())
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
                if let Some(after) = after {
                    query = query.filter(movement::Column::Id.gt(after));
                }
                let rows = query
                    .order_by_asc(movement::Column::Id)
                    .limit(PAGE)
                    .all(state.db.conn())
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|m| {
                        let row = vec![
                            Cell::text(m.id.to_string()),
                            Cell::text(m.product_id.to_string()),
                            Cell::text(m.kind),
                            Cell::Decimal(fixed::qty(m.quantity)),
                            Cell::Decimal(fixed::qty(m.on_hand_after)),
                            Cell::Decimal(fixed::qty(m.reserved_after)),
                            Cell::opt_text(m.reason),
                            Cell::opt_text(m.order_id.map(|o| o.to_string())),
                            Cell::opt_text(m.actor_id.map(|a| a.to_string())),
                            Cell::Time(m.created_at),
                        ];
                        (m.id, row)
                    })
                    .collect())
            })
        }),
    }
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
                let mut query = crate::audit::service::filtered(filter);
                if let Some(after) = after {
                    query = query.filter(audit_log::Column::Id.gt(after));
                }
                let rows = query
                    .order_by_asc(audit_log::Column::Id)
                    .limit(PAGE)
                    .all(state.db.conn())
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|a| {
                        let row = vec![
                            Cell::text(a.id.to_string()),
                            Cell::Time(a.created_at),
                            Cell::opt_text(a.actor_id.map(|u| u.to_string())),
                            Cell::text(a.action),
                            Cell::text(a.entity_type),
                            Cell::opt_text(a.entity_id),
                            Cell::opt_text(a.ip),
                            Cell::opt_text(a.user_agent),
                            Cell::opt_text(a.request_id),
                            Cell::text(a.details),
                        ];
                        (a.id, row)
                    })
                    .collect())
            })
        }),
    }
}
