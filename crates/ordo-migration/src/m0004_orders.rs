//! Orders with items, status history, shipments, number sequences, idempotency keys, workflow
//! definitions and the domain event store.

use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_orders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(name("orders"))
                    .col(uuid_pk("id"))
                    .col(string("number", 64))
                    .col(string("workflow", 64))
                    .col(string("status", 32))
                    .col(integer("priority"))
                    .col(uuid_null("customer_id"))
                    .col(uuid("created_by"))
                    .col(uuid_null("assignee_id"))
                    .col(string_null("title", 200))
                    .col(text_null(db, "description"))
                    .col(text_null(db, "special_instructions"))
                    .col(string("currency", 3))
                    .col(big_integer("total"))
                    .col(string_null("shipping_address", 500))
                    .col(string_null("destination", 64))
                    .col(string_null("origin", 64))
                    .col(string_null("material_code", 64))
                    .col(string_null("material_description", 500))
                    .col(string_null("party", 64))
                    .col(big_integer_null("order_quantity"))
                    .col(big_integer_null("dispatch_quantity"))
                    .col(text_null(db, "completion_notes"))
                    .col(string_null("tracking_number", 100))
                    .col(string_null("cancel_reason", 500))
                    .col(timestamp_null(db, "valid_until"))
                    .col(timestamp_null(db, "estimated_completion"))
                    .col(timestamp_null(db, "completed_at"))
                    .col(timestamp(db, "status_changed_at"))
                    .col(boolean("stock_reserved", false))
                    .col(text(db, "attributes"))
                    .col(integer("version"))
                    .col(timestamp(db, "created_at"))
                    .col(timestamp(db, "updated_at"))
                    .foreign_key(&mut restrict_key(
                        "orders",
                        "customer_id",
                        "customers",
                        "id",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index("orders", "uq_orders_number", &["number"]))
            .await?;
        manager
            .create_index(index(
                "orders",
                "ix_orders_status",
                &["workflow", "status", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "orders",
                "ix_orders_customer",
                &["customer_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "orders",
                "ix_orders_creator",
                &["created_by", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "orders",
                "ix_orders_assignee",
                &["assignee_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index("orders", "ix_orders_created", &["created_at"]))
            .await?;
        manager
            .create_index(index(
                "orders",
                "ix_orders_status_changed",
                &["workflow", "status", "status_changed_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("order_items"))
                    .col(uuid_pk("id"))
                    .col(uuid("order_id"))
                    .col(integer("position"))
                    .col(uuid_null("product_id"))
                    .col(string("code", 64))
                    .col(string("description", 500))
                    .col(big_integer("quantity"))
                    .col(string("unit", 16))
                    .col(big_integer("unit_price"))
                    .col(big_integer("line_total"))
                    .col(big_integer("shipped_quantity"))
                    .col(big_integer("reserved_quantity"))
                    .foreign_key(&mut foreign_key("order_items", "order_id", "orders"))
                    .foreign_key(&mut restrict_key(
                        "order_items",
                        "product_id",
                        "products",
                        "id",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "order_items",
                "ix_order_items_order",
                &["order_id", "position"],
            ))
            .await?;
        manager
            .create_index(index(
                "order_items",
                "ix_order_items_product",
                &["product_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("order_status_history"))
                    .col(uuid_pk("id"))
                    .col(uuid("order_id"))
                    .col(string_null("from_status", 32))
                    .col(string("to_status", 32))
                    .col(uuid_null("actor_id"))
                    .col(string_null("note", 1000))
                    .col(timestamp(db, "created_at"))
                    .foreign_key(&mut foreign_key(
                        "order_status_history",
                        "order_id",
                        "orders",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "order_status_history",
                "ix_order_status_history_order",
                &["order_id", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("shipments"))
                    .col(uuid_pk("id"))
                    .col(uuid("order_id"))
                    .col(string("status", 16))
                    .col(string_null("carrier", 64))
                    .col(string_null("tracking_number", 100))
                    .col(string_null("rake_number", 64))
                    .col(uuid_null("created_by"))
                    .col(timestamp(db, "shipped_at"))
                    .col(timestamp_null(db, "delivered_at"))
                    .foreign_key(&mut foreign_key("shipments", "order_id", "orders"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("shipments", "ix_shipments_order", &["order_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(name("shipment_items"))
                    .col(uuid_pk("id"))
                    .col(uuid("shipment_id"))
                    .col(uuid("order_item_id"))
                    .col(big_integer("quantity"))
                    .foreign_key(&mut foreign_key(
                        "shipment_items",
                        "shipment_id",
                        "shipments",
                    ))
                    .foreign_key(&mut foreign_key(
                        "shipment_items",
                        "order_item_id",
                        "order_items",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "shipment_items",
                "ix_shipment_items_shipment",
                &["shipment_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("number_sequences"))
                    .col(
                        ColumnDef::new(name("name"))
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(big_integer("next_value"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("idempotency_keys"))
                    .col(uuid_pk("id"))
                    .col(uuid("user_id"))
                    .col(string("key", 255))
                    .col(string("request_hash", 64))
                    .col(integer("status"))
                    .col(text(db, "response"))
                    .col(timestamp(db, "created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "idempotency_keys",
                "uq_idempotency_keys",
                &["user_id", "key"],
            ))
            .await?;
        manager
            .create_index(index(
                "idempotency_keys",
                "ix_idempotency_keys_created",
                &["created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("workflows"))
                    .col(
                        ColumnDef::new(name("name"))
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(db, "definition"))
                    .col(uuid_null("created_by"))
                    .col(timestamp(db, "created_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("events"))
                    .col(
                        ColumnDef::new(name("seq"))
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(uuid("id"))
                    .col(string("event_type", 64))
                    .col(string("aggregate_type", 32))
                    .col(string("aggregate_id", 64))
                    .col(text(db, "payload"))
                    .col(uuid_null("actor_id"))
                    .col(string_null("correlation_id", 128))
                    .col(uuid_null("causation_id"))
                    .col(timestamp(db, "created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index("events", "uq_events_id", &["id"]))
            .await?;
        manager
            .create_index(index(
                "events",
                "ix_events_aggregate",
                &["aggregate_type", "aggregate_id", "seq"],
            ))
            .await?;
        manager
            .create_index(index("events", "ix_events_type", &["event_type", "seq"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "events",
            "workflows",
            "idempotency_keys",
            "number_sequences",
            "shipment_items",
            "shipments",
            "order_status_history",
            "order_items",
            "orders",
        ] {
            manager
                .drop_table(Table::drop().table(name(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
