//! The append-only audit log.

use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_audit"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(name("audit_logs"))
                    .col(uuid_pk("id"))
                    .col(uuid_null("actor_id"))
                    .col(string("action", 64))
                    .col(string("entity_type", 32))
                    .col(string_null("entity_id", 64))
                    .col(text(db, "details"))
                    .col(string_null("request_id", 128))
                    .col(string_null("ip", 64))
                    .col(string_null("user_agent", 255))
                    .col(timestamp(db, "created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "audit_logs",
                "ix_audit_logs_created",
                &["created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "audit_logs",
                "ix_audit_logs_actor",
                &["actor_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "audit_logs",
                "ix_audit_logs_action",
                &["action", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "audit_logs",
                "ix_audit_logs_entity",
                &["entity_type", "entity_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(name("audit_logs")).to_owned())
            .await
    }
}
