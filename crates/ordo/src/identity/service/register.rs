//! Self-registration and the first admin.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::users::{self, NewUser, ProfileInput};
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult};
use crate::http::context::RequestContext;
use crate::identity::fields::Checker;
use crate::identity::role::Role;
use crate::identity::tokens::hash_secret;
use crate::identity::view::UserView;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    #[schema(format = "email", max_length = 320, example = "jane@example.com")]
    pub email: String,
    /// 8-128 characters, not the e-mail address, not a common password.
    #[schema(min_length = 8, max_length = 128, format = Password)]
    pub password: String,
    #[serde(flatten)]
    pub profile: ProfileInput,
}

/// Validates a sign-up form into a new account of `role`, hashing the password.
pub async fn new_user(state: &AppState, req: &RegisterRequest, role: Role) -> AppResult<NewUser> {
    let mut check = Checker::default();
    let email = users::parse_credentials(&mut check, &req.email, Some(&req.password));
    let profile = req.profile.parse(&mut check, true);
    check.finish()?;
    let password_hash = state.hasher.hash(req.password.clone()).await?;
    Ok(NewUser {
        email: email.expect("checked"),
        password_hash: Some(password_hash),
        role,
        profile,
        email_verified: false,
    })
}

pub async fn register(
    state: &AppState,
    req: RegisterRequest,
    ctx: &RequestContext,
) -> AppResult<UserView> {
    let new = new_user(state, &req, Role::Customer).await?;
    let txn = state.db.begin_write().await?;
    let user = users::insert(&txn, new).await?;
    let entry = AuditEntry::new("user.registered", "user", user.id)
        .with_details(json!({ "email": user.email, "role": user.role }));
    crate::events::record_change(&txn, Some(user.id), ctx, entry).await?;
    txn.commit().await?;
    Ok(user.into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetupRequest {
    /// The one-time token printed on the server console.
    pub token: String,
    #[serde(flatten)]
    pub account: RegisterRequest,
}

/// Creates the first admin with the one-time token printed at start-up.
pub async fn setup(
    state: &AppState,
    req: SetupRequest,
    ctx: &RequestContext,
) -> AppResult<UserView> {
    let presented = hash_secret(req.token.trim());
    let expected = state
        .setup_token_hash
        .lock()
        .expect("setup token lock")
        .clone();
    let Some(expected) = expected else {
        return Err(AppError::state_conflict(
            "SETUP_DONE",
            "Ordo is already set up; sign in instead",
        ));
    };
    if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        return Err(AppError::field(
            "token",
            "is not the setup token printed on the server console",
        ));
    }
    let new = new_user(state, &req.account, Role::Admin).await?;
    let txn = state.db.begin_write().await?;
    // Take the token first so two concurrent requests cannot both create an admin.
    if state
        .setup_token_hash
        .lock()
        .expect("setup token lock")
        .take()
        .is_none()
    {
        return Err(AppError::state_conflict(
            "SETUP_DONE",
            "Ordo is already set up; sign in instead",
        ));
    }
    if users::any_active_admin(&txn).await? {
        return Err(AppError::state_conflict(
            "SETUP_DONE",
            "Ordo is already set up; sign in instead",
        ));
    }
    let result = async {
        let user = users::insert(&txn, new).await?;
        let entry = AuditEntry::new("user.first_admin_created", "user", user.id)
            .with_details(json!({ "email": user.email }));
        crate::events::record_change(&txn, Some(user.id), ctx, entry).await?;
        Ok::<_, AppError>(user)
    }
    .await;
    match result {
        Ok(user) => {
            txn.commit().await?;
            Ok(user.into())
        }
        Err(err) => {
            // Nothing was created: put the token back so the operator can try again.
            *state.setup_token_hash.lock().expect("setup token lock") = Some(expected);
            Err(err)
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
