//! Customers (parties that order), optionally linked to a `customer` account that then sees
//! that customer's orders.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entity::customer::{self, Column, Entity as Customer};
use crate::audit::AuditEntry;
use crate::db::rows::KeyedReads;
use crate::db::{Db, FixedSql};
use crate::error::{AppError, AppResult};
use crate::events::record_change;
use crate::http::auth::AuthUser;
use crate::http::context::RequestContext;
use crate::http::pagination::{fetch_page, like_pattern, Page, PageRequest};
use crate::identity::fields::{self, Checker, Email};
use crate::identity::role::Role;
use crate::identity::service::users;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerView {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub billing_address: Option<String>,
    pub shipping_address: Option<String>,
    pub user_id: Option<Uuid>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<customer::Model> for CustomerView {
    fn from(c: customer::Model) -> Self {
        Self {
            id: c.id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            billing_address: c.billing_address,
            shipping_address: c.shipping_address,
            user_id: c.user_id,
            active: c.active,
            created_at: crate::time::utc(c.created_at),
            updated_at: crate::time::utc(c.updated_at),
        }
    }
}

fn snapshot(c: &customer::Model) -> serde_json::Value {
    json!({ "name": c.name, "email": c.email, "phone": c.phone, "billingAddress": c.billing_address,
            "shippingAddress": c.shipping_address, "userId": c.user_id, "active": c.active })
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(format = "email", max_length = 320)]
    pub email: Option<String>,
    pub phone: Option<String>,
    #[schema(max_length = 500)]
    pub billing_address: Option<String>,
    #[schema(max_length = 500)]
    pub shipping_address: Option<String>,
    /// Links a `customer` account; send `null` to unlink.
    #[serde(default, with = "crate::http::json::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
}

impl CustomerInput {
    fn apply(&self, row: &mut customer::ActiveModel, creating: bool) -> AppResult<()> {
        let mut check = Checker::default();
        match (&self.name, creating) {
            (Some(name), _) => {
                if let Some(name) = check.check(fields::required_text("name", name, 200)) {
                    row.name = Set(name);
                }
            }
            (None, true) => {
                check.add(crate::error::FieldError::new("name", "is required"));
            }
            (None, false) => {}
        }
        if let Some(email) = &self.email {
            let parsed = if email.trim().is_empty() {
                Ok(None)
            } else {
                Email::parse("email", email).map(|e| Some(e.into_string()))
            };
            if let Some(email) = check.check(parsed) {
                row.email = Set(email);
            }
        }
        if let Some(phone) = &self.phone {
            if let Some(phone) = check.check(fields::phone("phone", Some(phone))) {
                row.phone = Set(phone);
            }
        }
        if let Some(address) = &self.billing_address {
            if let Some(v) =
                check.check(fields::optional_text("billingAddress", Some(address), 500))
            {
                row.billing_address = Set(v);
            }
        }
        if let Some(address) = &self.shipping_address {
            if let Some(v) =
                check.check(fields::optional_text("shippingAddress", Some(address), 500))
            {
                row.shipping_address = Set(v);
            }
        }
        if let Some(active) = self.active {
            row.active = Set(active);
        }
        check.finish()
    }
}

/// A linked account must be a live `customer` account.
async fn check_link<C: ConnectionTrait>(db: &C, user_id: Option<Uuid>) -> AppResult<()> {
    let Some(user_id) = user_id else {
        return Ok(());
    };
    let user = users::find_live(db, user_id)
        .await
        .map_err(|_| AppError::field("userId", "no such user"))?;
    if Role::parse(&user.role) != Some(Role::Customer) {
        return Err(AppError::field(
            "userId",
            "must be an account with the customer role",
        ));
    }
    Ok(())
}

pub async fn list(
    state: &AppState,
    search: Option<String>,
    active: Option<bool>,
    page: PageRequest,
) -> AppResult<Page<CustomerView>> {
    let mut query = Customer::find();
    if let Some(active) = active {
        query = query.filter(Column::Active.eq(active));
    }
    if let Some(search) = search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = like_pattern(search);
        query = query.filter(
            Condition::any()
                .add(crate::http::pagination::lower_like(Column::Name, &pattern))
                .add(crate::http::pagination::lower_like(Column::Email, &pattern))
                .add(crate::http::pagination::lower_like(Column::Phone, &pattern)),
        );
    }
    let query = query.order_by_asc(Column::Name).order_by_asc(Column::Id);
    Ok(fetch_page(state.db.conn(), query, page).await?)
}

pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<customer::Model> {
    Customer::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("customer"))
}

/// The customer record linked to account `user_id`, if any, read by key (see [`KeyedReads`]): every
/// request of a customer account asks for it.
pub async fn of_user(db: &Db, user_id: Uuid) -> AppResult<Option<customer::Model>> {
    static OF_USER: FixedSql = FixedSql::new();
    // At most one: an account links to one customer (a unique index).
    let stmt = OF_USER.keyed(db.backend(), user_id, |user_id| {
        Customer::find().filter(Column::UserId.eq(user_id))
    });
    let mut reads = KeyedReads::begin(db)?;
    Ok(reads.select(stmt, customer::Model::from_row).await?.pop())
}

pub async fn create(
    state: &AppState,
    actor: &AuthUser,
    input: CustomerInput,
    ctx: &RequestContext,
) -> AppResult<CustomerView> {
    let now = crate::time::now();
    let mut row = customer::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(String::new()),
        email: Set(None),
        phone: Set(None),
        billing_address: Set(None),
        shipping_address: Set(None),
        user_id: Set(input.user_id.flatten()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    };
    input.apply(&mut row, true)?;
    let txn = state.db.begin_write().await?;
    check_link(&txn, input.user_id.flatten()).await?;
    let created = row.insert(&txn).await?;
    let entry = AuditEntry::new("customer.created", "customer", created.id)
        .with_details(json!({ "after": snapshot(&created) }));
    record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(created.into())
}

/// The names of the customers `ids`, by id (unknown ids are left out).
pub async fn names<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    use sea_orm::QuerySelect;
    Ok(customer::Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::Name)
        .filter(Column::Id.is_in(ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

pub async fn update(
    state: &AppState,
    actor: &AuthUser,
    id: Uuid,
    input: CustomerInput,
    ctx: &RequestContext,
) -> AppResult<CustomerView> {
    let txn = state.db.begin_write().await?;
    let before = find(&txn, id).await?;
    let mut row: customer::ActiveModel = before.clone().into();
    input.apply(&mut row, false)?;
    if let Some(link) = input.user_id {
        check_link(&txn, link).await?;
        row.user_id = Set(link);
    }
    row.updated_at = Set(crate::time::now());
    let after = row.update(&txn).await?;
    if after.name != before.name {
        // The name is part of every order's search document.
        crate::orders::search::refresh_customer(&txn, id).await?;
    }
    let entry = AuditEntry::new("customer.updated", "customer", id)
        .with_details(json!({ "before": snapshot(&before), "after": snapshot(&after) }));
    record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(after.into())
}

/// Deletes a customer without orders; one with orders must be deactivated instead.
pub async fn delete(
    state: &AppState,
    actor: &AuthUser,
    id: Uuid,
    ctx: &RequestContext,
) -> AppResult<()> {
    let txn = state.db.begin_write().await?;
    let before = find(&txn, id).await?;
    let has_orders = crate::orders::store::customer_has_orders(&txn, id).await?;
    if has_orders {
        return Err(AppError::state_conflict(
            "CUSTOMER_IN_USE",
            "The customer has orders; deactivate it instead",
        ));
    }
    Customer::delete_by_id(id).exec(&txn).await?;
    let entry = AuditEntry::new("customer.deleted", "customer", id)
        .with_details(json!({ "before": snapshot(&before) }));
    record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(())
}
