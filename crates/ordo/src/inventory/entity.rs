//! Stock levels (one row per product, kept in step with the ledger) and the ledger itself.

pub mod level {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inventory_levels")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub product_id: Uuid,
        pub on_hand: i64,
        pub reserved: i64,
        pub updated_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "crate::catalog::entity::product::Entity",
            from = "Column::ProductId",
            to = "crate::catalog::entity::product::Column::Id"
        )]
        Product,
    }

    impl Related<crate::catalog::entity::product::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Product.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod movement {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inventory_movements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub product_id: Uuid,
        /// `receipt`, `adjustment`, `reservation`, `release`, `shipment`.
        pub kind: String,
        /// Signed change of the level the kind affects.
        pub quantity: i64,
        pub on_hand_after: i64,
        pub reserved_after: i64,
        pub reason: Option<String>,
        pub actor_id: Option<Uuid>,
        pub order_id: Option<Uuid>,
        pub created_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
