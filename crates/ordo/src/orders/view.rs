//! How orders look on the wire.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entity::{history, item, order, shipment, shipment_item};
use crate::fixed;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    pub id: Uuid,
    pub number: String,
    pub workflow: String,
    pub status: String,
    /// 1 (most urgent) to 4.
    pub priority: i32,
    pub customer_id: Option<Uuid>,
    pub created_by: Uuid,
    pub assignee_id: Option<Uuid>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub special_instructions: Option<String>,
    pub currency: String,
    #[schema(value_type = String, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "120.50")]
    pub total: Decimal,
    pub shipping_address: Option<String>,
    pub destination: Option<String>,
    pub origin: Option<String>,
    pub material_code: Option<String>,
    pub material_description: Option<String>,
    pub party: Option<String>,
    #[schema(value_type = Option<String>)]
    pub order_quantity: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub dispatch_quantity: Option<Decimal>,
    pub completion_notes: Option<String>,
    pub tracking_number: Option<String>,
    pub cancel_reason: Option<String>,
    #[serde(with = "crate::time::iso::option")]
    pub valid_until: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::iso::option")]
    pub estimated_completion: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::iso::option")]
    pub completed_at: Option<DateTime<Utc>>,
    pub stock_reserved: bool,
    pub attributes: serde_json::Value,
    /// Send it back as `If-Match` or `version` to update.
    pub version: i32,
    #[serde(with = "crate::time::iso")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::iso")]
    pub updated_at: DateTime<Utc>,
}

impl From<order::Model> for OrderSummary {
    fn from(o: order::Model) -> Self {
        Self {
            id: o.id,
            number: o.number,
            workflow: o.workflow,
            status: o.status,
            priority: o.priority,
            customer_id: o.customer_id,
            created_by: o.created_by,
            assignee_id: o.assignee_id,
            title: o.title,
            description: o.description,
            special_instructions: o.special_instructions,
            currency: o.currency,
            total: fixed::money(o.total),
            shipping_address: o.shipping_address,
            destination: o.destination,
            origin: o.origin,
            material_code: o.material_code,
            material_description: o.material_description,
            party: o.party,
            order_quantity: o.order_quantity.map(fixed::qty),
            dispatch_quantity: o.dispatch_quantity.map(fixed::qty),
            completion_notes: o.completion_notes,
            tracking_number: o.tracking_number,
            cancel_reason: o.cancel_reason,
            valid_until: o.valid_until.map(crate::time::utc),
            estimated_completion: o.estimated_completion.map(crate::time::utc),
            completed_at: o.completed_at.map(crate::time::utc),
            stock_reserved: o.stock_reserved,
            attributes: serde_json::from_str(&o.attributes)
                .unwrap_or_else(|_| serde_json::json!({})),
            version: o.version,
            created_at: crate::time::utc(o.created_at),
            updated_at: crate::time::utc(o.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    pub id: Uuid,
    pub position: i32,
    pub product_id: Option<Uuid>,
    pub code: String,
    pub description: String,
    #[schema(value_type = String)]
    pub quantity: Decimal,
    pub unit: String,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    #[schema(value_type = String)]
    pub line_total: Decimal,
    #[schema(value_type = String)]
    pub shipped_quantity: Decimal,
    #[schema(value_type = String)]
    pub reserved_quantity: Decimal,
}

impl From<item::Model> for ItemView {
    fn from(i: item::Model) -> Self {
        Self {
            id: i.id,
            position: i.position,
            product_id: i.product_id,
            code: i.code,
            description: i.description,
            quantity: fixed::qty(i.quantity),
            unit: i.unit,
            unit_price: fixed::money(i.unit_price),
            line_total: fixed::money(i.line_total),
            shipped_quantity: fixed::qty(i.shipped_quantity),
            reserved_quantity: fixed::qty(i.reserved_quantity),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    pub from: Option<String>,
    pub to: String,
    /// None when the system moved the order.
    pub actor_id: Option<Uuid>,
    pub note: Option<String>,
    #[serde(with = "crate::time::iso")]
    pub at: DateTime<Utc>,
}

impl From<history::Model> for HistoryView {
    fn from(h: history::Model) -> Self {
        Self {
            from: h.from_status,
            to: h.to_status,
            actor_id: h.actor_id,
            note: h.note,
            at: crate::time::utc(h.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentItemView {
    pub item_id: Uuid,
    #[schema(value_type = String)]
    pub quantity: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentView {
    pub id: Uuid,
    pub status: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub rake_number: Option<String>,
    #[serde(with = "crate::time::iso")]
    pub shipped_at: DateTime<Utc>,
    #[serde(with = "crate::time::iso::option")]
    pub delivered_at: Option<DateTime<Utc>>,
    pub items: Vec<ShipmentItemView>,
}

impl From<(shipment::Model, Vec<shipment_item::Model>)> for ShipmentView {
    fn from((s, items): (shipment::Model, Vec<shipment_item::Model>)) -> Self {
        Self {
            id: s.id,
            status: s.status,
            carrier: s.carrier,
            tracking_number: s.tracking_number,
            rake_number: s.rake_number,
            shipped_at: crate::time::utc(s.shipped_at),
            delivered_at: s.delivered_at.map(crate::time::utc),
            items: items
                .into_iter()
                .map(|i| ShipmentItemView {
                    item_id: i.order_item_id,
                    quantity: fixed::qty(i.quantity),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllowedTransition {
    pub name: String,
    pub to: String,
    /// Fields the request must supply if the order lacks them.
    pub required_fields: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    #[serde(flatten)]
    pub order: OrderSummary,
    pub items: Vec<ItemView>,
    pub shipments: Vec<ShipmentView>,
    pub history: Vec<HistoryView>,
    /// What this caller may do next.
    pub allowed_transitions: Vec<AllowedTransition>,
}
