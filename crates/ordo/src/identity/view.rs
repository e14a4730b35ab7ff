//! How accounts and tokens look on the wire.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entity::user;
use super::role::Role;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub username: Option<String>,
    pub role: Role,
    pub first_name: String,
    pub last_name: String,
    pub department: Option<String>,
    pub designation: Option<String>,
    pub gender: Option<String>,
    pub phone_number: Option<String>,
    pub address: Option<String>,
    /// Where the profile photo is served, when there is one.
    pub photo_url: Option<String>,
    pub active: bool,
    pub email_verified: bool,
    /// False for accounts that only ever signed in through OAuth.
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<user::Model> for UserView {
    fn from(u: user::Model) -> Self {
        Self {
            photo_url: u
                .has_avatar
                .then(|| format!("/api/v1/users/{}/photo", u.id)),
            id: u.id,
            email: u.email,
            username: u.username,
            role: Role::parse(&u.role).unwrap_or(Role::Customer),
            first_name: u.first_name,
            last_name: u.last_name,
            department: u.department,
            designation: u.designation,
            gender: u.gender,
            phone_number: u.phone_number,
            address: u.address,
            active: u.active,
            email_verified: u.email_verified,
            has_password: u.password_hash.is_some(),
            created_at: crate::time::utc(u.created_at),
            updated_at: crate::time::utc(u.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// Short-lived JWT for `Authorization: Bearer ...`.
    pub access_token: String,
    /// Opaque; exchange it at `/auth/refresh` for a new pair. Single use.
    pub refresh_token: String,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
    pub token_type: &'static str,
    pub user: UserView,
}
