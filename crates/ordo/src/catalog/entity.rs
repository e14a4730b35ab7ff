//! Database rows of the catalog: customers and products.

pub mod customer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub billing_address: Option<String>,
        pub shipping_address: Option<String>,
        /// The `customer` account that sees this customer's orders.
        pub user_id: Option<Uuid>,
        pub active: bool,
        pub created_at: DateTime,
        pub updated_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// A customer from a row with every column in declaration order (as `Entity::find()`
        /// selects them), read by position.
        pub fn from_row(row: &dyn crate::db::rows::RowValues) -> Result<Model, DbErr> {
            use crate::db::rows::required;
            use Column as C;
            let at = |c: C| c as usize;
            Ok(Model {
                id: required(row.uuid(at(C::Id))?, at(C::Id))?,
                name: required(row.text(at(C::Name))?, at(C::Name))?,
                email: row.text(at(C::Email))?,
                phone: row.text(at(C::Phone))?,
                billing_address: row.text(at(C::BillingAddress))?,
                shipping_address: row.text(at(C::ShippingAddress))?,
                user_id: row.uuid(at(C::UserId))?,
                active: required(row.boolean(at(C::Active))?, at(C::Active))?,
                created_at: required(row.time(at(C::CreatedAt))?, at(C::CreatedAt))?,
                updated_at: required(row.time(at(C::UpdatedAt))?, at(C::UpdatedAt))?,
            })
        }
    }
}

pub mod product {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "products")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// SKU or material code.
        pub sku: String,
        pub name: String,
        pub description: Option<String>,
        /// `pcs`, `t`, `kg` ...
        pub unit: String,
        /// Money units (see `fixed`).
        pub price: i64,
        pub currency: String,
        pub active: bool,
        /// Quantity units.
        pub reorder_level: i64,
        pub created_at: DateTime,
        pub updated_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(has_one = "crate::inventory::entity::level::Entity")]
        Level,
    }

    impl Model {
        /// A product from a row with every column in declaration order (as `Entity::find()`
        /// selects them), read by position.
        pub fn from_row(row: &dyn crate::db::rows::RowValues) -> Result<Model, DbErr> {
            use crate::db::rows::required;
            use Column as C;
            let at = |c: C| c as usize;
            let text = |c: C| required(row.text(at(c))?, at(c));
            let int = |c: C| required(row.int(at(c))?, at(c));
            Ok(Model {
                id: required(row.uuid(at(C::Id))?, at(C::Id))?,
                sku: text(C::Sku)?,
                name: text(C::Name)?,
                description: row.text(at(C::Description))?,
                unit: text(C::Unit)?,
                price: int(C::Price)?,
                currency: text(C::Currency)?,
                active: required(row.boolean(at(C::Active))?, at(C::Active))?,
                reorder_level: int(C::ReorderLevel)?,
                created_at: required(row.time(at(C::CreatedAt))?, at(C::CreatedAt))?,
                updated_at: required(row.time(at(C::UpdatedAt))?, at(C::UpdatedAt))?,
            })
        }
    }

    impl Related<crate::inventory::entity::level::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Level.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}
