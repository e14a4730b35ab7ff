//! `POST /products/import`: rows in the product export's columns create products, or update the
//! product with the same SKU (its stock is left to the ledger: `onHand` only seeds new products).

use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::file::Row;
use super::run::{Importer, RowFailure, WrittenRow};
use crate::catalog::entity::product;
use crate::catalog::products::{self, ProductInput};
use crate::error::{AppError, FieldError};
use crate::http::auth::AuthUser;
use crate::http::context::RequestContext;
use crate::state::AppState;

pub const REQUIRED: &[&str] = &["sku", "name"];

pub struct ProductImporter<'a> {
    pub state: &'a AppState,
    pub actor: &'a AuthUser,
    pub ctx: &'a RequestContext,
}

#[async_trait::async_trait]
impl Importer for ProductImporter<'_> {
    async fn write(&self, txn: &DatabaseTransaction, row: &Row) -> Result<WrittenRow, RowFailure> {
        let mut errors = Vec::new();
        let active = match row.raw("active").map(str::to_ascii_lowercase).as_deref() {
            None => None,
            Some("true" | "yes" | "1") => Some(true),
            Some("false" | "no" | "0") => Some(false),
            Some(other) => {
                errors.push(FieldError::new(
                    "active",
                    format!("{other:?} is not true or false"),
                ));
                None
            }
        };
        let sku = row.text("sku", &mut errors);
        let mut input = ProductInput {
            sku: sku.clone(),
            name: row.text("name", &mut errors),
            description: row.text("description", &mut errors),
            unit: row.text("unit", &mut errors),
            price: row.parse::<Decimal>("price", "a number", &mut errors),
            currency: row.text("currency", &mut errors),
            active,
            reorder_level: row.parse::<Decimal>("reorderLevel", "a number", &mut errors),
            initial_stock: row.parse::<Decimal>("onHand", "a number", &mut errors),
        };
        if sku.is_none() && !errors.iter().any(|e| e.field == "sku") {
            errors.push(FieldError::new("sku", "is required"));
        }
        if !errors.is_empty() {
            return Err(RowFailure::Fields(errors));
        }
        let existing = product::Entity::find()
            .filter(product::Column::Sku.eq(sku.clone().unwrap_or_default().trim()))
            .one(txn)
            .await
            .map_err(AppError::from)?;
        let (view, action) = match existing {
            Some(found) => {
                input.initial_stock = None;
                input.sku = None;
                let view = products::update_in(txn, self.actor, found.id, input, self.ctx).await?;
                (view, "updated")
            }
            None => {
                let view =
                    products::create_in(txn, self.state, self.actor, input, self.ctx).await?;
                (view, "created")
            }
        };
        Ok(WrittenRow {
            line: row.line,
            id: view.id,
            key: view.sku,
            action,
        })
    }
}
