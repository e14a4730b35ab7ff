use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub role: String,
    pub first_name: String,
    pub last_name: String,
    pub department: Option<String>,
    pub designation: Option<String>,
    pub gender: Option<String>,
    pub phone_number: Option<String>,
    pub address: Option<String>,
    pub has_avatar: bool,
    pub active: bool,
    pub email_verified: bool,
    pub deleted_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
