//! Database rows of the orders area.

pub mod order {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub number: String,
        pub workflow: String,
        pub status: String,
        pub priority: i32,
        pub customer_id: Option<Uuid>,
        /// The owner: the user who created the order.
        pub created_by: Uuid,
        pub assignee_id: Option<Uuid>,
        pub title: Option<String>,
        pub description: Option<String>,
        pub special_instructions: Option<String>,
        pub currency: String,
        /// Money units.
        pub total: i64,
        pub shipping_address: Option<String>,
        pub destination: Option<String>,
        /// Mill or warehouse the goods leave from.
        pub origin: Option<String>,
        pub material_code: Option<String>,
        pub material_description: Option<String>,
        pub party: Option<String>,
        /// Quantity units.
        pub order_quantity: Option<i64>,
        pub dispatch_quantity: Option<i64>,
        pub completion_notes: Option<String>,
        pub tracking_number: Option<String>,
        pub cancel_reason: Option<String>,
        pub valid_until: Option<DateTime>,
        pub estimated_completion: Option<DateTime>,
        pub completed_at: Option<DateTime>,
        /// When the order entered its current status; timers count from here.
        pub status_changed_at: DateTime,

        /// Whether the items' open quantities are held in stock for this order.
        pub stock_reserved: bool,
        /// Free-form JSON object for what a workflow adds.
        pub attributes: String,
        /// Incremented by every change; the basis of optimistic concurrency.
        pub version: i32,
        pub created_at: DateTime,
        pub updated_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// An order from a row with every column in declaration order (as `Entity::find()`
        /// selects them), read by position.
        pub fn from_row(row: &dyn crate::db::rows::RowValues) -> Result<Model, DbErr> {
            use crate::db::rows::required;
            use Column as C;
            let text = |c: C| required(row.text(c as usize)?, c as usize);
            let int = |c: C| required(row.int(c as usize)?, c as usize);
            let small = |c: C| {
                i32::try_from(int(c)?).map_err(|_| DbErr::Type(format!("{c:?} out of range")))
            };
            let uuid = |c: C| required(row.uuid(c as usize)?, c as usize);
            let time = |c: C| required(row.time(c as usize)?, c as usize);
            Ok(Model {
                id: uuid(C::Id)?,
                number: text(C::Number)?,
                workflow: text(C::Workflow)?,
                status: text(C::Status)?,
                priority: small(C::Priority)?,
                customer_id: row.uuid(C::CustomerId as usize)?,
                created_by: uuid(C::CreatedBy)?,
                assignee_id: row.uuid(C::AssigneeId as usize)?,
                title: row.text(C::Title as usize)?,
                description: row.text(C::Description as usize)?,
                special_instructions: row.text(C::SpecialInstructions as usize)?,
                currency: text(C::Currency)?,
                total: int(C::Total)?,
                shipping_address: row.text(C::ShippingAddress as usize)?,
                destination: row.text(C::Destination as usize)?,
                origin: row.text(C::Origin as usize)?,
                material_code: row.text(C::MaterialCode as usize)?,
                material_description: row.text(C::MaterialDescription as usize)?,
                party: row.text(C::Party as usize)?,
                order_quantity: row.int(C::OrderQuantity as usize)?,
                dispatch_quantity: row.int(C::DispatchQuantity as usize)?,
                completion_notes: row.text(C::CompletionNotes as usize)?,
                tracking_number: row.text(C::TrackingNumber as usize)?,
                cancel_reason: row.text(C::CancelReason as usize)?,
                valid_until: row.time(C::ValidUntil as usize)?,
                estimated_completion: row.time(C::EstimatedCompletion as usize)?,
                completed_at: row.time(C::CompletedAt as usize)?,
                status_changed_at: time(C::StatusChangedAt)?,
                stock_reserved: required(
                    row.boolean(C::StockReserved as usize)?,
                    C::StockReserved as usize,
                )?,
                attributes: text(C::Attributes)?,
                version: small(C::Version)?,
                created_at: time(C::CreatedAt)?,
                updated_at: time(C::UpdatedAt)?,
            })
        }
    }
}

pub mod item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub order_id: Uuid,
        pub position: i32,
        pub product_id: Option<Uuid>,
        pub code: String,
        pub description: String,
        pub quantity: i64,
        pub unit: String,
        pub unit_price: i64,
        pub line_total: i64,
        pub shipped_quantity: i64,
        pub reserved_quantity: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// An item from a row with every column in declaration order, read by position.
        pub fn from_row(row: &dyn crate::db::rows::RowValues) -> Result<Model, DbErr> {
            use crate::db::rows::required;
            use Column as C;
            let text = |c: C| required(row.text(c as usize)?, c as usize);
            let int = |c: C| required(row.int(c as usize)?, c as usize);
            let uuid = |c: C| required(row.uuid(c as usize)?, c as usize);
            Ok(Model {
                id: uuid(C::Id)?,
                order_id: uuid(C::OrderId)?,
                position: i32::try_from(int(C::Position)?)
                    .map_err(|_| DbErr::Type("position out of range".into()))?,
                product_id: row.uuid(C::ProductId as usize)?,
                code: text(C::Code)?,
                description: text(C::Description)?,
                quantity: int(C::Quantity)?,
                unit: text(C::Unit)?,
                unit_price: int(C::UnitPrice)?,
                line_total: int(C::LineTotal)?,
                shipped_quantity: int(C::ShippedQuantity)?,
                reserved_quantity: int(C::ReservedQuantity)?,
            })
        }
    }
}

pub mod history {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_status_history")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub order_id: Uuid,
        pub from_status: Option<String>,
        pub to_status: String,
        /// None for the system (background jobs).
        pub actor_id: Option<Uuid>,
        pub note: Option<String>,
        pub created_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// A history entry from a row with every column in declaration order, read by position.
        pub fn from_row(row: &dyn crate::db::rows::RowValues) -> Result<Model, DbErr> {
            use crate::db::rows::required;
            use Column as C;
            Ok(Model {
                id: required(row.uuid(C::Id as usize)?, C::Id as usize)?,
                order_id: required(row.uuid(C::OrderId as usize)?, C::OrderId as usize)?,
                from_status: row.text(C::FromStatus as usize)?,
                to_status: required(row.text(C::ToStatus as usize)?, C::ToStatus as usize)?,
                actor_id: row.uuid(C::ActorId as usize)?,
                note: row.text(C::Note as usize)?,
                created_at: required(row.time(C::CreatedAt as usize)?, C::CreatedAt as usize)?,
            })
        }
    }
}

pub mod shipment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shipments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub order_id: Uuid,
        /// `shipped` or `delivered`.
        pub status: String,
        pub carrier: Option<String>,
        pub tracking_number: Option<String>,
        pub rake_number: Option<String>,
        pub created_by: Option<Uuid>,
        pub shipped_at: DateTime,
        pub delivered_at: Option<DateTime>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(has_many = "super::shipment_item::Entity")]
        Items,
    }

    impl Related<super::shipment_item::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Items.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// A shipment from a row with every column in declaration order, read by position.
        pub fn from_row(row: &dyn crate::db::rows::RowValues) -> Result<Model, DbErr> {
            use crate::db::rows::required;
            use Column as C;
            Ok(Model {
                id: required(row.uuid(C::Id as usize)?, C::Id as usize)?,
                order_id: required(row.uuid(C::OrderId as usize)?, C::OrderId as usize)?,
                status: required(row.text(C::Status as usize)?, C::Status as usize)?,
                carrier: row.text(C::Carrier as usize)?,
                tracking_number: row.text(C::TrackingNumber as usize)?,
                rake_number: row.text(C::RakeNumber as usize)?,
                created_by: row.uuid(C::CreatedBy as usize)?,
                shipped_at: required(row.time(C::ShippedAt as usize)?, C::ShippedAt as usize)?,
                delivered_at: row.time(C::DeliveredAt as usize)?,
            })
        }
    }
}

pub mod shipment_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shipment_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shipment_id: Uuid,
        pub order_item_id: Uuid,
        pub quantity: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::shipment::Entity",
            from = "Column::ShipmentId",
            to = "super::shipment::Column::Id"
        )]
        Shipment,
    }

    impl Related<super::shipment::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Shipment.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// A shipped line from a row with every column in declaration order, read by position.
        pub fn from_row(row: &dyn crate::db::rows::RowValues) -> Result<Model, DbErr> {
            use crate::db::rows::required;
            use Column as C;
            let uuid = |c: C| required(row.uuid(c as usize)?, c as usize);
            Ok(Model {
                id: uuid(C::Id)?,
                shipment_id: uuid(C::ShipmentId)?,
                order_item_id: uuid(C::OrderItemId)?,
                quantity: required(row.int(C::Quantity as usize)?, C::Quantity as usize)?,
            })
        }
    }
}

pub mod sequence {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "number_sequences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub next_value: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod idempotency {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub key: String,
        pub request_hash: String,
        pub status: i32,
        pub response: String,
        pub created_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
