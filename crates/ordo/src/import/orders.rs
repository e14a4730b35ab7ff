//! `POST /orders/import`: rows in the order export's columns become new orders, each created by
//! the same service as `POST /orders`. Columns the server computes (id, status, total, dates of
//! record ...) are ignored.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::file::Row;
use super::run::{Importer, RowFailure, WrittenRow};
use crate::catalog::entity::product;
use crate::error::FieldError;
use crate::http::context::RequestContext;
use crate::orders::access::Viewer;
use crate::orders::input::{ItemInput, OrderInput};
use crate::orders::service::create;
use crate::state::AppState;

/// Columns a file must have (the rest are optional).
pub const REQUIRED: &[&str] = &["items"];

pub struct OrderImporter<'a> {
    pub state: &'a AppState,
    pub viewer: &'a Viewer,
    pub ctx: &'a RequestContext,
}

/// `CODE x QUANTITY @ PRICE; ...` (the export's `items` cell); the price is optional.
fn parse_items(
    text: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<(String, Decimal, Option<Decimal>)> {
    let mut lines = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (head, price) = match part.rsplit_once('@') {
            Some((head, price)) => (head.trim(), Some(price.trim())),
            None => (part, None),
        };
        let Some((code, quantity)) = head.rsplit_once(" x ") else {
            errors.push(FieldError::new(
                "items",
                format!("{part:?} is not CODE x QUANTITY [@ PRICE]"),
            ));
            continue;
        };
        let quantity = quantity.trim().parse::<Decimal>();
        let price = price.map(|p| p.parse::<Decimal>());
        match (quantity, price) {
            (Ok(q), None) => lines.push((code.trim().to_string(), q, None)),
            (Ok(q), Some(Ok(p))) => lines.push((code.trim().to_string(), q, Some(p))),
            _ => errors.push(FieldError::new(
                "items",
                format!("{part:?} has a quantity or price that is not a number"),
            )),
        }
    }
    lines
}

#[async_trait::async_trait]
impl Importer for OrderImporter<'_> {
    async fn write(&self, txn: &DatabaseTransaction, row: &Row) -> Result<WrittenRow, RowFailure> {
        let mut errors = Vec::new();
        let mut input = OrderInput {
            workflow: row.text("workflow", &mut errors),
            number: row.text("number", &mut errors),
            customer_id: row.parse::<Uuid>("customerId", "a customer id", &mut errors),
            priority: row.parse::<i32>("priority", "a priority (1-4)", &mut errors),
            title: row.text("title", &mut errors),
            description: row.text("description", &mut errors),
            shipping_address: row.text("shippingAddress", &mut errors),
            destination: row.text("destination", &mut errors),
            origin: row.text("origin", &mut errors),
            material_code: row.text("materialCode", &mut errors),
            material_description: row.text("materialDescription", &mut errors),
            party: row.text("party", &mut errors),
            order_quantity: row.parse::<Decimal>("orderQuantity", "a number", &mut errors),
            valid_until: row.parse::<DateTime<Utc>>("validUntil", "an RFC 3339 time", &mut errors),
            estimated_completion: row.parse::<DateTime<Utc>>(
                "estimatedCompletion",
                "an RFC 3339 time",
                &mut errors,
            ),
            ..Default::default()
        };
        let lines = row
            .text("items", &mut errors)
            .map(|t| parse_items(&t, &mut errors))
            .unwrap_or_default();
        if !errors.is_empty() {
            return Err(RowFailure::Fields(errors));
        }
        if !lines.is_empty() {
            let codes: Vec<&str> = lines.iter().map(|(c, _, _)| c.as_str()).collect();
            let products = product::Entity::find()
                .filter(product::Column::Sku.is_in(codes))
                .all(txn)
                .await
                .map_err(crate::error::AppError::from)?;
            input.items = Some(
                lines
                    .into_iter()
                    .map(|(code, quantity, unit_price)| {
                        let product = products.iter().find(|p| p.sku == code);
                        ItemInput {
                            product_id: product.map(|p| p.id),
                            code: product.is_none().then(|| code.clone()),
                            description: product.is_none().then_some(code),
                            quantity,
                            // Only managers price orders; others take the catalog price.
                            unit_price: unit_price.filter(|_| self.viewer.may_price()),
                            ..Default::default()
                        }
                    })
                    .collect(),
            );
        }
        // Products are read inside the import's transaction, as everything else it checks.
        let known = Default::default();
        // The number in the import's transaction: a dry run, a failed row or a failed atomic
        // import rolls it back with the rest.
        let taking = create::Taking::WithTheOrder;
        let order = create::create_in(
            txn,
            self.state,
            self.viewer,
            &input,
            &known,
            taking,
            self.ctx,
        )
        .await?
        .order;
        Ok(WrittenRow {
            line: row.line,
            id: order.id,
            key: order.number,
            action: "created",
        })
    }
}
