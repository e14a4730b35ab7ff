//! User administration by admins. The last active admin can be neither demoted, deactivated nor
//! deleted; a deactivated user's sessions end at once.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::profile::snapshot;
use super::sessions;
use super::users::{self, NewUser, ProfileInput};
use crate::audit::AuditEntry;
use crate::error::AppResult;
use crate::http::auth::AuthUser;
use crate::http::context::RequestContext;
use crate::http::pagination::{fetch_page, like_pattern, lower_like, Page, PageRequest};
use crate::identity::entity::user::{self, Column, Entity as User};
use crate::identity::fields::{Checker, Email};
use crate::identity::role::Role;
use crate::identity::view::UserView;
use crate::state::AppState;

#[derive(Debug, Default)]
pub struct UserFilter {
    pub search: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

pub async fn list(
    state: &AppState,
    filter: UserFilter,
    page: PageRequest,
) -> AppResult<Page<UserView>> {
    let mut query = User::find().filter(Column::DeletedAt.is_null());
    if let Some(role) = filter.role {
        query = query.filter(Column::Role.eq(role.as_str()));
    }
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
        let matches = |col: Column| lower_like(col, &pattern);
        query = query.filter(
            Condition::any()
                .add(matches(Column::Email))
                .add(matches(Column::FirstName))
                .add(matches(Column::LastName))
                .add(matches(Column::Username))
                .add(matches(Column::Department)),
        );
    }
    let db = state.db.conn();
    let query = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id);
    Ok(fetch_page(db, query, page).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserRequest {
    #[schema(format = "email", max_length = 320)]
    pub email: String,
    /// Optional: without one, the user sets a password through "forgot password" or signs in with OAuth.
    #[schema(min_length = 8, max_length = 128, format = Password)]
    pub password: Option<String>,
    pub role: Role,
    #[serde(flatten)]
    pub profile: ProfileInput,
}

pub async fn create(
    state: &AppState,
    actor: &AuthUser,
    req: CreateUserRequest,
    ctx: &RequestContext,
) -> AppResult<UserView> {
    let mut check = Checker::default();
    let email = users::parse_credentials(&mut check, &req.email, req.password.as_deref());
    let profile = req.profile.parse(&mut check, true);
    check.finish()?;
    let password_hash = match req.password {
        Some(pw) => Some(state.hasher.hash(pw).await?),
        None => None,
    };
    let new = NewUser {
        email: email.expect("checked"),
        password_hash,
        role: req.role,
        profile,
        email_verified: false,
    };
    let txn = state.db.begin_write().await?;
    let user = users::insert(&txn, new).await?;
    let entry = AuditEntry::new("user.created", "user", user.id)
        .with_details(json!({ "after": snapshot(&user) }));
    crate::events::record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(user.into())
}

pub async fn get(state: &AppState, id: Uuid) -> AppResult<UserView> {
    Ok(users::find_live(state.db.conn(), id).await?.into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserRequest {
    #[schema(format = "email", max_length = 320)]
    pub email: Option<String>,
    #[serde(flatten)]
    pub profile: ProfileInput,
}

pub async fn update(
    state: &AppState,
    actor: &AuthUser,
    id: Uuid,
    req: UpdateUserRequest,
    ctx: &RequestContext,
) -> AppResult<UserView> {
    let mut check = Checker::default();
    let email = req
        .email
        .as_deref()
        .and_then(|e| check.check(Email::parse("email", e)));
    let profile = req.profile.parse(&mut check, false);
    check.finish()?;
    let txn = state.db.begin_write().await?;
    let before = users::find_live(&txn, id).await?;
    let mut row: user::ActiveModel = before.clone().into();
    if let Some(email) = email {
        if email.as_str() != before.email {
            row.email = Set(email.into_string());
            row.email_verified = Set(false);
        }
    }
    profile.apply(&mut row);
    row.updated_at = Set(crate::time::now());
    let after = row.update(&txn).await?;
    let entry = AuditEntry::new("user.updated", "user", id)
        .with_details(json!({ "before": snapshot(&before), "after": snapshot(&after) }));
    crate::events::record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(after.into())
}

pub async fn set_role(
    state: &AppState,
    actor: &AuthUser,
    id: Uuid,
    role: Role,
    ctx: &RequestContext,
) -> AppResult<UserView> {
    let txn = state.db.begin_write().await?;
    let before = users::find_live(&txn, id).await?;
    if role != Role::Admin {
        users::ensure_other_active_admin(&txn, &before).await?;
    }
    let mut row: user::ActiveModel = before.clone().into();
    row.role = Set(role.as_str().to_string());
    row.updated_at = Set(crate::time::now());
    let after = row.update(&txn).await?;
    let entry = AuditEntry::new("user.role_changed", "user", id).with_details(
        json!({ "before": { "role": before.role }, "after": { "role": after.role } }),
    );
    crate::events::record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(after.into())
}

pub async fn set_active(
    state: &AppState,
    actor: &AuthUser,
    id: Uuid,
    active: bool,
    ctx: &RequestContext,
) -> AppResult<UserView> {
    let txn = state.db.begin_write().await?;
    let before = users::find_live(&txn, id).await?;
    if !active {
        users::ensure_other_active_admin(&txn, &before).await?;
        sessions::revoke_all(&txn, id, "deactivated").await?;
    }
    let mut row: user::ActiveModel = before.clone().into();
    row.active = Set(active);
    row.updated_at = Set(crate::time::now());
    let after = row.update(&txn).await?;
    let action = if active {
        "user.activated"
    } else {
        "user.deactivated"
    };
    let entry = AuditEntry::new(action, "user", id).with_details(
        json!({ "before": { "active": before.active }, "after": { "active": after.active } }),
    );
    crate::events::record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(after.into())
}

pub async fn delete(
    state: &AppState,
    actor: &AuthUser,
    id: Uuid,
    ctx: &RequestContext,
) -> AppResult<()> {
    let txn = state.db.begin_write().await?;
    let target = users::find_live(&txn, id).await?;
    users::ensure_other_active_admin(&txn, &target).await?;
    let entry = AuditEntry::new("user.deleted", "user", id)
        .with_details(json!({ "before": snapshot(&target) }));
    users::erase(&txn, target).await?;
    crate::events::record_change(&txn, Some(actor.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(())
}

/// Creates an account from the command line (`ordo user create`).
pub async fn create_from_cli(
    state: &AppState,
    email: &str,
    password: &str,
    role: Role,
    first_name: &str,
    last_name: &str,
) -> AppResult<user::Model> {
    let mut check = Checker::default();
    let email = users::parse_credentials(&mut check, email, Some(password));
    let profile = ProfileInput {
        first_name: Some(first_name.to_string()),
        last_name: Some(last_name.to_string()),
        ..Default::default()
    }
    .parse(&mut check, true);
    check.finish()?;
    let hash = state.hasher.hash(password.to_string()).await?;
    let new = NewUser {
        email: email.expect("checked"),
        password_hash: Some(hash),
        role,
        profile,
        email_verified: true,
    };
    let ctx = RequestContext::system("cli");
    let txn = state.db.begin_write().await?;
    let user = users::insert(&txn, new).await?;
    let entry = AuditEntry::new("user.created", "user", user.id)
        .with_details(json!({ "after": snapshot(&user), "via": "cli" }));
    crate::events::record_change(&txn, None, &ctx, entry).await?;
    txn.commit().await?;
    if role == Role::Admin {
        state
            .setup_token_hash
            .lock()
            .expect("setup token lock")
            .take();
    }
    Ok(user)
}
