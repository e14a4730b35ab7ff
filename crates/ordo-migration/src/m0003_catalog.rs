//! Customers, products, stock levels and the stock ledger, reference data.
//!
//! Quantities and money are fixed-point integers: quantities in thousandths (kilograms of a ton),
//! money in ten-thousandths of the currency unit. They are exact and sum in SQL on every backend.

use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_catalog"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(name("customers"))
                    .col(uuid_pk("id"))
                    .col(string("name", 200))
                    .col(string_null("email", 320))
                    .col(string_null("phone", 32))
                    .col(string_null("billing_address", 500))
                    .col(string_null("shipping_address", 500))
                    .col(uuid_null("user_id"))
                    .col(boolean("active", true))
                    .col(timestamp(db, "created_at"))
                    .col(timestamp(db, "updated_at"))
                    .foreign_key(&mut restrict_key("customers", "user_id", "users", "id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index("customers", "uq_customers_user", &["user_id"]))
            .await?;
        manager
            .create_index(index("customers", "ix_customers_name", &["name"]))
            .await?;
        manager
            .create_index(index("customers", "ix_customers_email", &["email"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("products"))
                    .col(uuid_pk("id"))
                    .col(string("sku", 64))
                    .col(string("name", 200))
                    .col(string_null("description", 2000))
                    .col(string("unit", 16))
                    .col(big_integer("price"))
                    .col(string("currency", 3))
                    .col(boolean("active", true))
                    .col(big_integer("reorder_level"))
                    .col(timestamp(db, "created_at"))
                    .col(timestamp(db, "updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index("products", "uq_products_sku", &["sku"]))
            .await?;
        manager
            .create_index(index("products", "ix_products_name", &["name"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("inventory_levels"))
                    .col(uuid_pk("product_id"))
                    .col(big_integer("on_hand"))
                    .col(big_integer("reserved"))
                    .col(timestamp(db, "updated_at"))
                    .foreign_key(&mut foreign_key(
                        "inventory_levels",
                        "product_id",
                        "products",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("inventory_movements"))
                    .col(uuid_pk("id"))
                    .col(uuid("product_id"))
                    .col(string("kind", 16))
                    .col(big_integer("quantity"))
                    .col(big_integer("on_hand_after"))
                    .col(big_integer("reserved_after"))
                    .col(string_null("reason", 500))
                    .col(uuid_null("actor_id"))
                    .col(uuid_null("order_id"))
                    .col(timestamp(db, "created_at"))
                    .foreign_key(&mut foreign_key(
                        "inventory_movements",
                        "product_id",
                        "products",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "inventory_movements",
                "ix_inventory_movements_product",
                &["product_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "inventory_movements",
                "ix_inventory_movements_order",
                &["order_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("reference_entries"))
                    .col(uuid_pk("id"))
                    .col(string("kind", 16))
                    .col(string("code", 64))
                    .col(string("description", 500))
                    .col(integer("rank"))
                    .col(boolean("active", true))
                    .col(boolean("used", false))
                    .col(timestamp(db, "created_at"))
                    .col(timestamp(db, "updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "reference_entries",
                "uq_reference_entries_code",
                &["kind", "code"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "reference_entries",
            "inventory_movements",
            "inventory_levels",
            "products",
            "customers",
        ] {
            manager
                .drop_table(Table::drop().table(name(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
