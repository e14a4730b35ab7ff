//! Account rules shared by registration, administration, setup, OAuth and the command line.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::identity::entity::user::{self, Column, Entity as User};
use crate::identity::fields::{self, Checker, Email};
use crate::identity::password;
use crate::identity::role::Role;

/// Optional profile fields, as sent by clients (seed 000's user fields).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInput {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]*$"
    )]
    pub first_name: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]*\\S[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]*$"
    )]
    pub last_name: Option<String>,
    /// 3-64 letters, digits, `.`, `_` or `-`; stored lower-case; empty clears it.
    #[schema(pattern = r"^\s*([A-Za-z0-9._-]{3,64})?\s*$")]
    pub username: Option<String>,
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]*$"
    )]
    pub department: Option<String>,
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]*$"
    )]
    pub designation: Option<String>,
    /// `male`, `female` or `other`; empty clears it.
    #[schema(pattern = "^(male|female|other|)$")]
    pub gender: Option<String>,
    /// 5-20 digits with optional `+`, spaces, dashes, dots and parentheses (32 characters at
    /// most); empty clears it.
    #[schema(
        max_length = 32,
        pattern = r"^\s*([+ ().-]*[0-9]){5,20}[+ ().-]*\s*$|^\s*$"
    )]
    pub phone_number: Option<String>,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]*$"
    )]
    pub address: Option<String>,
}

/// Validated profile fields; `None` inside means "clear it".
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<Option<String>>,
    pub department: Option<Option<String>>,
    pub designation: Option<Option<String>>,
    pub gender: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    pub address: Option<Option<String>>,
}

impl ProfileInput {
    /// Validates the fields present; `require_names` for new accounts.
    pub fn parse(&self, check: &mut Checker, require_names: bool) -> Profile {
        let name =
            |check: &mut Checker, field: &str, value: &Option<String>| match (value, require_names)
            {
                (Some(v), _) => check.check(fields::required_text(field, v, 100)),
                (None, true) => {
                    check.check(Err(crate::error::FieldError::new(field, "is required")))
                }
                (None, false) => None,
            };
        Profile {
            first_name: name(check, "firstName", &self.first_name),
            last_name: name(check, "lastName", &self.last_name),
            username: self
                .username
                .as_ref()
                .and_then(|v| check.check(fields::username("username", Some(v)))),
            department: self
                .department
                .as_ref()
                .and_then(|v| check.check(fields::optional_text("department", Some(v), 100))),
            designation: self
                .designation
                .as_ref()
                .and_then(|v| check.check(fields::optional_text("designation", Some(v), 100))),
            gender: self
                .gender
                .as_ref()
                .and_then(|v| check.check(fields::gender("gender", Some(v)))),
            phone_number: self
                .phone_number
                .as_ref()
                .and_then(|v| check.check(fields::phone("phoneNumber", Some(v)))),
            address: self
                .address
                .as_ref()
                .and_then(|v| check.check(fields::optional_text("address", Some(v), 500))),
        }
    }
}

impl Profile {
    /// Copies the present fields onto a row being written.
    pub fn apply(self, row: &mut user::ActiveModel) {
        if let Some(v) = self.first_name {
            row.first_name = Set(v);
        }
        if let Some(v) = self.last_name {
            row.last_name = Set(v);
        }
        if let Some(v) = self.username {
            row.username = Set(v);
        }
        if let Some(v) = self.department {
            row.department = Set(v);
        }
        if let Some(v) = self.designation {
            row.designation = Set(v);
        }
        if let Some(v) = self.gender {
            row.gender = Set(v);
        }
        if let Some(v) = self.phone_number {
            row.phone_number = Set(v);
        }
        if let Some(v) = self.address {
            row.address = Set(v);
        }
    }
}

/// A validated new account.
pub struct NewUser {
    pub email: Email,
    pub password_hash: Option<String>,
    pub role: Role,
    pub profile: Profile,
    pub email_verified: bool,
}

/// Checks an e-mail and password pair for a new or changed password.
pub fn parse_credentials(
    check: &mut Checker,
    email: &str,
    password: Option<&str>,
) -> Option<Email> {
    let email = check.check(Email::parse("email", email));
    if let (Some(email), Some(pw)) = (&email, password) {
        check.check(password::check_policy("password", pw, email.as_str()));
    }
    email
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewUser) -> AppResult<user::Model> {
    let now = crate::time::now();
    let mut row = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email.into_string()),
        username: Set(None),
        password_hash: Set(new.password_hash),
        role: Set(new.role.as_str().to_string()),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        department: Set(None),
        designation: Set(None),
        gender: Set(None),
        phone_number: Set(None),
        address: Set(None),
        has_avatar: Set(false),
        active: Set(true),
        email_verified: Set(new.email_verified),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    new.profile.apply(&mut row);
    Ok(row.insert(db).await?)
}

pub async fn find_live<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<user::Model> {
    User::find_by_id(id)
        .filter(Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(AppError::NotFound("user"))
}

pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> AppResult<Option<user::Model>> {
    Ok(User::find()
        .filter(Column::Email.eq(email))
        .filter(Column::DeletedAt.is_null())
        .one(db)
        .await?)
}

pub async fn any_active_admin<C: ConnectionTrait>(db: &C) -> AppResult<bool> {
    let count = User::find()
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .filter(Column::Active.eq(true))
        .filter(Column::DeletedAt.is_null())
        .count(db)
        .await?;
    Ok(count > 0)
}

/// Refuses a change that would leave no active admin. Run inside the changing transaction; on
/// PostgreSQL and MySQL the admin rows are locked so two concurrent demotions cannot both pass.
pub async fn ensure_other_active_admin<C: ConnectionTrait>(
    db: &C,
    target: &user::Model,
) -> AppResult<()> {
    if target.role != Role::Admin.as_str() || !target.active {
        return Ok(());
    }
    let mut query = User::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .filter(Column::Active.eq(true))
        .filter(Column::DeletedAt.is_null())
        .filter(Column::Id.ne(target.id));
    if db.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        query = query.lock_exclusive();
    }
    let others: Vec<Uuid> = query.into_tuple().all(db).await?;
    if others.is_empty() {
        return Err(AppError::state_conflict(
            "LAST_ADMIN",
            "This is the last active admin; appoint another admin first",
        ));
    }
    Ok(())
}

/// Erases an account's personal data while keeping its row, so audit entries still point at it.
pub async fn erase<C: ConnectionTrait>(db: &C, target: user::Model) -> AppResult<()> {
    use crate::identity::entity::{avatar, oauth_identity, reset_token};
    let id = target.id;
    avatar::Entity::delete_by_id(id).exec(db).await?;
    oauth_identity::Entity::delete_many()
        .filter(oauth_identity::Column::UserId.eq(id))
        .exec(db)
        .await?;
    reset_token::Entity::delete_many()
        .filter(reset_token::Column::UserId.eq(id))
        .exec(db)
        .await?;
    super::sessions::revoke_all(db, id, "account_deleted").await?;
    let mut row: user::ActiveModel = target.into();
    row.email = Set(format!("deleted-{id}@deleted.invalid"));
    row.username = Set(None);
    row.password_hash = Set(None);
    row.first_name = Set("Deleted".into());
    row.last_name = Set("User".into());
    row.department = Set(None);
    row.designation = Set(None);
    row.gender = Set(None);
    row.phone_number = Set(None);
    row.address = Set(None);
    row.has_avatar = Set(false);
    row.active = Set(false);
    row.deleted_at = Set(Some(crate::time::now()));
    row.updated_at = Set(crate::time::now());
    row.update(db).await?;
    Ok(())
}
