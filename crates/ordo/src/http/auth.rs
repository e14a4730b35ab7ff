//! The authenticated caller. A request is authenticated by a bearer access token whose session is
//! still open and whose user is still active. That is checked against the database, or against
//! the same check made in the last few seconds (see [`crate::identity::session_cache`]): a logout,
//! a deactivation or a role change on this server takes effect at once.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sea_orm::{EntityTrait, JoinType, QuerySelect};
use uuid::Uuid;

use crate::error::AppError;
use crate::identity::entity::{session, user};
use crate::identity::permissions::{allows, Permission};
use crate::identity::role::Role;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
    pub session_id: Uuid,
    pub email: String,
}

impl AuthUser {
    /// Fails with 403 unless the permission table allows the caller's role.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if allows(self.role, permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "You do not have permission to do this".into(),
            ))
        }
    }
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn unauthorized() -> AppError {
    AppError::Unauthorized("Authentication required".into())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let token = bearer_token(parts).ok_or_else(unauthorized)?;
        let claims = state.access_keys.verify(token).ok_or_else(unauthorized)?;
        let now = crate::time::now();
        if let Some(auth) = state.sessions.get(claims.sid, claims.sub, now) {
            parts.extensions.insert(auth.clone());
            return Ok(auth);
        }
        let generation = state.sessions.generation();
        // The session and its user in one query.
        let session_user = session::Entity::belongs_to(user::Entity)
            .from(session::Column::UserId)
            .to(user::Column::Id)
            .into();
        let (session, user) = session::Entity::find_by_id(claims.sid)
            .join(JoinType::InnerJoin, session_user)
            .select_also(user::Entity)
            .one(state.db.conn())
            .await?
            .ok_or_else(unauthorized)?;
        let user = user.ok_or_else(unauthorized)?;
        if session.user_id != claims.sub
            || session.revoked_at.is_some()
            || session.expires_at <= now
        {
            return Err(unauthorized());
        }
        if !user.active || user.deleted_at.is_some() {
            return Err(unauthorized());
        }
        let role = Role::parse(&user.role).ok_or_else(unauthorized)?;
        let auth = AuthUser {
            id: user.id,
            role,
            session_id: session.id,
            email: user.email,
        };
        state
            .sessions
            .remember(generation, &auth, session.expires_at);
        parts.extensions.insert(auth.clone());
        Ok(auth)
    }
}

/// The authenticated caller, admitted only if the permission table lets its role do `P`
/// (`Permission::X as u8`). As an extractor it runs before the request body is read, so a caller
/// without the permission gets 403 whatever it sent.
pub struct Require<const P: u8>(pub AuthUser);

impl<const P: u8> FromRequestParts<AppState> for Require<P> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        let permission = Permission::from_index(P)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown permission {P}")))?;
        user.require(permission)?;
        Ok(Require(user))
    }
}
