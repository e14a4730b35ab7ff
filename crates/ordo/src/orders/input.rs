//! Order fields as clients send them, validated into column values with field-level errors.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Set};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entity::order;
use crate::catalog::entity::product;
use crate::catalog::products;
use crate::db::Db;
use crate::error::{AppError, AppResult, FieldError};
use crate::fixed;
use crate::identity::fields::{self, Checker};
use crate::reference::{self, Kind};

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderInput {
    /// `standard` (shop), `rake` (steel), `service`, or a custom workflow; create only.
    pub workflow: Option<String>,
    /// Your own order number; generated when absent. Create only.
    #[schema(max_length = 64, pattern = r"^\s*[A-Za-z0-9._/-]+\s*$")]
    pub number: Option<String>,
    pub customer_id: Option<Uuid>,
    /// 1 (most urgent) to 4; default 3.
    #[schema(minimum = 1, maximum = 4)]
    pub priority: Option<i32>,
    #[schema(max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[schema(max_length = 5000)]
    pub special_instructions: Option<String>,
    #[schema(pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    #[schema(max_length = 500)]
    pub shipping_address: Option<String>,
    /// A destination code from `/reference/destinations`.
    pub destination: Option<String>,
    /// A mill (or warehouse) code from `/reference/mills`.
    pub origin: Option<String>,
    /// A material code from `/reference/materials`.
    pub material_code: Option<String>,
    #[schema(max_length = 500)]
    pub material_description: Option<String>,
    /// A party code from `/reference/parties`.
    pub party: Option<String>,
    /// Ordered quantity (tons for rake orders).
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "120.5")]
    pub order_quantity: Option<Decimal>,
    pub valid_until: Option<DateTime<Utc>>,
    pub estimated_completion: Option<DateTime<Utc>>,
    #[schema(max_length = 100)]
    pub tracking_number: Option<String>,
    /// Free-form object for what a workflow adds.
    pub attributes: Option<serde_json::Value>,
    /// Create only; afterwards use `/orders/{id}/items`.
    pub items: Option<Vec<ItemInput>>,
    /// The version you read, for optimistic concurrency on update (or send `If-Match`).
    pub version: Option<i32>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemInput {
    /// A catalog product; code, description, unit and price default from it.
    pub product_id: Option<Uuid>,
    #[schema(max_length = 64)]
    pub code: Option<String>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    #[schema(value_type = String, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "2")]
    pub quantity: Decimal,
    #[schema(max_length = 16)]
    pub unit: Option<String>,
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "19.99")]
    pub unit_price: Option<Decimal>,
}

/// A validated item, ready to insert.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub product_id: Option<Uuid>,
    pub code: String,
    pub description: String,
    pub quantity: i64,
    pub unit: String,
    pub unit_price: i64,
}

fn text(
    check: &mut Checker,
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Option<Option<String>> {
    value
        .as_ref()
        .and_then(|v| check.check(fields::optional_text(field, Some(v), max)))
}

fn code(value: &str) -> String {
    value.trim().to_uppercase()
}

/// Copies the given fields onto `row`, validating each and checking reference codes.
pub async fn apply_fields<C: ConnectionTrait>(
    db: &C,
    input: &OrderInput,
    row: &mut order::ActiveModel,
    check: &mut Checker,
) -> AppResult<()> {
    if let Some(priority) = input.priority {
        if (1..=4).contains(&priority) {
            match reference::ensure_active(db, Kind::Priority, &priority.to_string(), "priority")
                .await
            {
                Ok(()) => row.priority = Set(priority),
                Err(AppError::Validation(details)) => {
                    details.into_iter().for_each(|d| check.add(d))
                }
                Err(other) => return Err(other),
            }
        } else {
            check.add(FieldError::new("priority", "must be 1, 2, 3 or 4"));
        }
    }
    if let Some(v) = text(check, "title", &input.title, 200) {
        row.title = Set(v);
    }
    if let Some(v) = text(check, "description", &input.description, 5000) {
        row.description = Set(v);
    }
    if let Some(v) = text(
        check,
        "specialInstructions",
        &input.special_instructions,
        5000,
    ) {
        row.special_instructions = Set(v);
    }
    if let Some(v) = input
        .currency
        .as_deref()
        .and_then(|c| check.check(products::parse_currency("currency", c)))
    {
        row.currency = Set(v);
    }
    if let Some(v) = text(check, "shippingAddress", &input.shipping_address, 500) {
        row.shipping_address = Set(v);
    }
    if let Some(v) = text(
        check,
        "materialDescription",
        &input.material_description,
        500,
    ) {
        row.material_description = Set(v);
    }
    if let Some(v) = text(check, "trackingNumber", &input.tracking_number, 100) {
        row.tracking_number = Set(v);
    }
    for (field, kind, value) in [
        ("destination", Kind::Destination, &input.destination),
        ("origin", Kind::Mill, &input.origin),
        ("materialCode", Kind::Material, &input.material_code),
        ("party", Kind::Party, &input.party),
    ] {
        let Some(raw) = value else { continue };
        let value = if raw.trim().is_empty() {
            None
        } else {
            Some(code(raw))
        };
        if let Some(value) = &value {
            match reference::ensure_active(db, kind, value, field).await {
                Ok(()) => {}
                Err(AppError::Validation(details)) => {
                    details.into_iter().for_each(|d| check.add(d));
                    continue;
                }
                Err(other) => return Err(other),
            }
        }
        match field {
            "destination" => row.destination = Set(value),
            "origin" => row.origin = Set(value),
            "materialCode" => row.material_code = Set(value),
            _ => row.party = Set(value),
        }
    }
    if let Some(q) = input.order_quantity {
        if let Some(units) = check.check(fixed::positive_qty("orderQuantity", q)) {
            row.order_quantity = Set(Some(units));
        }
    }
    if let Some(at) = input.valid_until {
        row.valid_until = Set(Some(crate::time::stored(at)));
    }
    if let Some(at) = input.estimated_completion {
        row.estimated_completion = Set(Some(crate::time::stored(at)));
    }
    if let Some(attributes) = &input.attributes {
        if attributes.is_object() && attributes.to_string().len() <= 16 * 1024 {
            row.attributes = Set(attributes.to_string());
        } else {
            check.add(FieldError::new(
                "attributes",
                "must be a JSON object of at most 16 KiB",
            ));
        }
    }
    Ok(())
}

/// Most items an order takes.
pub const MAX_ITEMS: usize = 500;

/// The catalog products that `inputs` name, read ahead of the transaction that uses them.
pub type KnownProducts = HashMap<Uuid, product::Model>;

/// Reads the products that `inputs` name (none when there are too many to take).
pub async fn known_products(db: &Db, inputs: &[ItemInput]) -> AppResult<KnownProducts> {
    if inputs.len() > MAX_ITEMS {
        return Ok(KnownProducts::new());
    }
    let wanted: Vec<Uuid> = inputs.iter().filter_map(|i| i.product_id).collect();
    products::find_many_by_key(db, &wanted).await
}

/// Validates items, filling code, description, unit and price from catalog products: those in
/// `known`, read beforehand, and the others read now.
pub async fn parse_items<C: ConnectionTrait>(
    db: &C,
    inputs: &[ItemInput],
    known: &KnownProducts,
    may_price: bool,
    check: &mut Checker,
    prefix: &str,
) -> AppResult<Vec<NewItem>> {
    if inputs.len() > MAX_ITEMS {
        check.add(FieldError::new(prefix, "at most 500 items per order"));
        return Ok(Vec::new());
    }
    let unknown: Vec<Uuid> = inputs
        .iter()
        .filter_map(|i| i.product_id)
        .filter(|id| !known.contains_key(id))
        .collect();
    let mut catalog = products::find_many(db, &unknown).await?;
    catalog.extend(known.iter().map(|(id, p)| (*id, p.clone())));
    let mut items = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let field = |name: &str| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}[{i}].{name}")
            }
        };
        let quantity = check.check(fixed::positive_qty(&field("quantity"), input.quantity));
        if input.unit_price.is_some() && !may_price {
            check.add(FieldError::new(
                field("unitPrice"),
                "only managers set prices",
            ));
        }
        let unit_price = input
            .unit_price
            .and_then(|p| check.check(fixed::non_negative_money(&field("unitPrice"), p)));

        let product = match input.product_id {
            Some(id) => match catalog.get(&id) {
                Some(p) if p.active => Some(p),
                Some(_) => {
                    check.add(FieldError::new(
                        field("productId"),
                        "the product is no longer sold",
                    ));
                    continue;
                }
                None => {
                    check.add(FieldError::new(field("productId"), "no such product"));
                    continue;
                }
            },
            None => None,
        };
        let given_code = input
            .code
            .as_ref()
            .and_then(|c| check.check(fields::optional_text(&field("code"), Some(c), 64)))
            .flatten();
        let given_description = input
            .description
            .as_ref()
            .and_then(|d| check.check(fields::optional_text(&field("description"), Some(d), 500)))
            .flatten();
        let given_unit = input
            .unit
            .as_ref()
            .and_then(|u| check.check(fields::optional_text(&field("unit"), Some(u), 16)))
            .flatten();
        let (code, description, unit, price) = match &product {
            Some(p) => (
                given_code.unwrap_or_else(|| p.sku.clone()),
                given_description.unwrap_or_else(|| p.name.clone()),
                given_unit.unwrap_or_else(|| p.unit.clone()),
                unit_price.unwrap_or(p.price),
            ),
            None => {
                if given_code.is_none() {
                    check.add(FieldError::new(
                        field("code"),
                        "is required without a productId",
                    ));
                }
                if given_description.is_none() {
                    check.add(FieldError::new(
                        field("description"),
                        "is required without a productId",
                    ));
                }
                (
                    given_code.unwrap_or_default(),
                    given_description.unwrap_or_default(),
                    given_unit.unwrap_or_else(|| "pcs".into()),
                    unit_price.unwrap_or(0),
                )
            }
        };
        if quantity.is_some_and(|q| fixed::line_total(q, price).is_none()) {
            check.add(FieldError::new(
                field("quantity"),
                "quantity x price is too large",
            ));
            continue;
        }
        if let Some(quantity) = quantity {
            items.push(NewItem {
                product_id: product.map(|p| p.id),
                code,
                description,
                quantity,
                unit,
                unit_price: price,
            });
        }
    }
    Ok(items)
}

/// A client-supplied order number.
pub fn parse_number(raw: &str) -> Result<String, FieldError> {
    let number = raw.trim();
    let ok = !number.is_empty()
        && number.len() <= 64
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    if ok {
        Ok(number.to_string())
    } else {
        Err(FieldError::new(
            "number",
            "must be 1-64 letters, digits, '.', '_', '/' or '-'",
        ))
    }
}
