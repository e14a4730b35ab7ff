//! Products: SKU or material code, unit of measure, price. Each has a stock level from birth.

use std::collections::HashMap;

use crate::db::rows::KeyedReads;
use crate::db::{Db, Deferring, FixedSqlByCount};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entity::product::{self, Column, Entity as Product};
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult, FieldError};
use crate::events::record_change;
use crate::fixed;
use crate::http::auth::AuthUser;
use crate::http::context::RequestContext;
use crate::http::pagination::{fetch_page, like_pattern, lower_like, Page, PageRequest};
use crate::identity::fields::{self, Checker};
use crate::inventory::ledger::{self, MovementContext, MovementKind};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductView {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: String,
    #[schema(value_type = String, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "19.99")]
    pub price: Decimal,
    pub currency: String,
    pub active: bool,
    #[schema(value_type = String, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "10")]
    pub reorder_level: Decimal,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<product::Model> for ProductView {
    fn from(p: product::Model) -> Self {
        Self {
            id: p.id,
            sku: p.sku,
            name: p.name,
            description: p.description,
            unit: p.unit,
            price: fixed::money(p.price),
            currency: p.currency,
            active: p.active,
            reorder_level: fixed::qty(p.reorder_level),
            created_at: crate::time::utc(p.created_at),
            updated_at: crate::time::utc(p.updated_at),
        }
    }
}

fn snapshot(p: &product::Model) -> serde_json::Value {
    json!({ "sku": p.sku, "name": p.name, "description": p.description, "unit": p.unit,
            "price": fixed::money(p.price), "currency": p.currency, "active": p.active,
            "reorderLevel": fixed::qty(p.reorder_level) })
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductInput {
    /// SKU or material code, unique.
    #[schema(min_length = 1, max_length = 64, pattern = r"^\s*[A-Za-z0-9._/-]+\s*$")]
    pub sku: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Unit of measure: `pcs`, `t`, `kg`, `m` ...
    #[schema(min_length = 1, max_length = 16)]
    pub unit: Option<String>,
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "19.99")]
    pub price: Option<Decimal>,
    /// ISO 4217 code, e.g. `USD`, `INR`.
    #[schema(pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    pub active: Option<bool>,
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "10")]
    pub reorder_level: Option<Decimal>,
    /// Only on create: stock received at once.
    #[schema(value_type = Option<String>, pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "100")]
    pub initial_stock: Option<Decimal>,
}

pub fn parse_currency(field: &str, raw: &str) -> Result<String, FieldError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(code)
    } else {
        Err(FieldError::new(
            field,
            "must be a three-letter currency code",
        ))
    }
}

fn parse_sku(raw: &str) -> Result<String, FieldError> {
    let sku = raw.trim();
    let ok = !sku.is_empty()
        && sku.len() <= 64
        && sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    if ok {
        Ok(sku.to_string())
    } else {
        Err(FieldError::new(
            "sku",
            "must be 1-64 letters, digits, '.', '_', '/' or '-'",
        ))
    }
}

impl ProductInput {
    fn apply(&self, row: &mut product::ActiveModel, creating: bool) -> AppResult<Option<i64>> {
        let mut check = Checker::default();
        let required = |check: &mut Checker, field: &str, present: bool| {
            if creating && !present {
                check.add(FieldError::new(field, "is required"));
            }
        };
        required(&mut check, "sku", self.sku.is_some());
        required(&mut check, "name", self.name.is_some());
        required(&mut check, "unit", self.unit.is_some());
        required(&mut check, "price", self.price.is_some());
        if let Some(v) = self.sku.as_deref().and_then(|s| check.check(parse_sku(s))) {
            row.sku = Set(v);
        }
        if let Some(v) = self
            .name
            .as_deref()
            .and_then(|s| check.check(fields::required_text("name", s, 200)))
        {
            row.name = Set(v);
        }
        if let Some(v) = self
            .description
            .as_deref()
            .and_then(|s| check.check(fields::optional_text("description", Some(s), 2000)))
        {
            row.description = Set(v);
        }
        if let Some(v) = self
            .unit
            .as_deref()
            .and_then(|s| check.check(fields::required_text("unit", s, 16)))
        {
            row.unit = Set(v);
        }
        if let Some(v) = self
            .price
            .and_then(|p| check.check(fixed::non_negative_money("price", p)))
        {
            row.price = Set(v);
        }
        if let Some(v) = self
            .currency
            .as_deref()
            .and_then(|c| check.check(parse_currency("currency", c)))
        {
            row.currency = Set(v);
        }
        if let Some(v) = self
            .reorder_level
            .and_then(|q| check.check(fixed::non_negative_qty("reorderLevel", q)))
        {
            row.reorder_level = Set(v);
        }
        if let Some(active) = self.active {
            row.active = Set(active);
        }
        let initial = match (self.initial_stock, creating) {
            (Some(q), true) => check.check(fixed::non_negative_qty("initialStock", q)),
            (Some(_), false) => {
                check.add(FieldError::new(
                    "initialStock",
                    "only on create; adjust stock through the inventory",
                ));
                None
            }
            (None, _) => None,
        };
        check.finish()?;
        Ok(initial)
    }
}

#[derive(Debug, Default)]
pub struct ProductFilter {
    pub search: Option<String>,
    pub active: Option<bool>,
}

/// Whether the catalog has any product at all.
pub async fn any<C: ConnectionTrait>(db: &C) -> AppResult<bool> {
    Ok(product::Entity::find().one(db).await?.is_some())
}

pub async fn list(
    state: &AppState,
    filter: ProductFilter,
    page: PageRequest,
) -> AppResult<Page<ProductView>> {
    let mut query = Product::find();
    if let Some(active) = filter.active {
        query = query.filter(Column::Active.eq(active));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = like_pattern(search);
        query = query.filter(
            Condition::any()
                .add(lower_like(Column::Sku, &pattern))
                .add(lower_like(Column::Name, &pattern)),
        );
    }
    let query = query.order_by_asc(Column::Sku);
    Ok(fetch_page(state.db.conn(), query, page).await?)
}

pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<product::Model> {
    Product::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("product"))
}

/// The products among `ids`.
fn among(ids: &[Uuid]) -> sea_orm::Select<product::Entity> {
    product::Entity::find().filter(product::Column::Id.is_in(ids.iter().copied()))
}

fn by_id(products: Vec<product::Model>) -> HashMap<Uuid, product::Model> {
    products.into_iter().map(|p| (p.id, p)).collect()
}

/// The products among `ids` that exist, by id, in one query.
pub async fn find_many<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, product::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(by_id(among(ids).all(db).await?))
}

/// [`find_many`] outside a transaction, read by key (see [`KeyedReads`]): every order placed
/// reads its products so first.
pub async fn find_many_by_key(db: &Db, ids: &[Uuid]) -> AppResult<HashMap<Uuid, product::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    static AMONG: FixedSqlByCount = FixedSqlByCount::new();
    let stmt = AMONG.keyed(db.backend(), ids, among);
    let mut reads = KeyedReads::begin(db)?;
    Ok(by_id(reads.select(stmt, product::Model::from_row).await?))
}

pub async fn create(
    state: &AppState,
    actor: &AuthUser,
    input: ProductInput,
    ctx: &RequestContext,
) -> AppResult<ProductView> {
    let txn = state.db.begin_write().await?;
    let created = create_in(&txn, state, actor, input, ctx).await?;
    txn.commit().await?;
    Ok(created)
}

/// Creates inside the caller's write transaction.
pub async fn create_in<C: Deferring>(
    txn: &C,
    state: &AppState,
    actor: &AuthUser,
    input: ProductInput,
    ctx: &RequestContext,
) -> AppResult<ProductView> {
    let now = crate::time::now();
    let mut row = product::ActiveModel {
        id: Set(Uuid::now_v7()),
        sku: Set(String::new()),
        name: Set(String::new()),
        description: Set(None),
        unit: Set(String::new()),
        price: Set(0),
        currency: Set(state.settings.default_currency.clone()),
        active: Set(true),
        reorder_level: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let initial = input.apply(&mut row, true)?;
    let created = row.insert(txn).await?;
    ledger::open_level(txn, created.id).await?;
    if let Some(qty) = initial.filter(|q| *q > 0) {
        let movement = MovementContext {
            actor: Some(actor.id),
            order_id: None,
            reason: Some("initial stock"),
        };
        ledger::adjust(txn, created.id, qty, MovementKind::Receipt, &movement).await?;
    }
    let entry = AuditEntry::new("product.created", "product", created.id).with_details(
        json!({ "after": snapshot(&created), "initialStock": initial.map(fixed::qty) }),
    );
    record_change(txn, Some(actor.id), ctx, entry).await?;
    Ok(created.into())
}

pub async fn update(
    state: &AppState,
    actor: &AuthUser,
    id: Uuid,
    input: ProductInput,
    ctx: &RequestContext,
) -> AppResult<ProductView> {
    let txn = state.db.begin_write().await?;
    let after = update_in(&txn, actor, id, input, ctx).await?;
    txn.commit().await?;
    Ok(after)
}

/// Updates inside the caller's write transaction.
pub async fn update_in<C: Deferring>(
    txn: &C,
    actor: &AuthUser,
    id: Uuid,
    input: ProductInput,
    ctx: &RequestContext,
) -> AppResult<ProductView> {
    let before = find(txn, id).await?;
    let mut row: product::ActiveModel = before.clone().into();
    input.apply(&mut row, false)?;
    row.updated_at = Set(crate::time::now());
    let after = row.update(txn).await?;
    let entry = AuditEntry::new("product.updated", "product", id)
        .with_details(json!({ "before": snapshot(&before), "after": snapshot(&after) }));
    record_change(txn, Some(actor.id), ctx, entry).await?;
    Ok(after.into())
}

/// Deletes a product that no order refers to; others must be deactivated.
pub async fn delete(
    state: &AppState,
    actor: &AuthUser,
    id: Uuid,
    ctx: &RequestContext,
) -> AppResult<()> {
    let txn = state.db.begin_write().await?;
    let before = find(&txn, id).await?;
    if crate::orders::store::product_is_ordered(&txn, id).await? {
        return Err(AppError::state_conflict(
            "PRODUCT_IN_USE",
            "Orders refer to this product; deactivate it instead",
        ));
    }
    Product::delete_by_id(id).exec(&txn).await?;
    let entry = AuditEntry::new("product.deleted", "product", id)
        .with_details(json!({ "before": snapshot(&before) }));
    record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(())
}
