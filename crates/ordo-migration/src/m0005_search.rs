//! Order search: one document of searchable words per order, indexed by each backend's own
//! text search (SQLite FTS5, PostgreSQL GIN over `to_tsvector`, MySQL FULLTEXT).
//!
//! The application writes `order_search` in the order's transaction; on SQLite, triggers keep
//! the FTS5 index (an external-content table over `order_search`) in step within that same
//! transaction.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_search"
    }
}

const SQLITE_FTS: [&str; 4] = [
    "CREATE VIRTUAL TABLE order_search_fts USING fts5(document, content='order_search', \
     content_rowid='id', prefix='2 3', tokenize='unicode61')",
    "CREATE TRIGGER order_search_ai AFTER INSERT ON order_search BEGIN \
     INSERT INTO order_search_fts(rowid, document) VALUES (new.id, new.document); END",
    "CREATE TRIGGER order_search_ad AFTER DELETE ON order_search BEGIN \
     INSERT INTO order_search_fts(order_search_fts, rowid, document) VALUES ('delete', old.id, old.document); END",
    "CREATE TRIGGER order_search_au AFTER UPDATE ON order_search BEGIN \
     INSERT INTO order_search_fts(order_search_fts, rowid, document) VALUES ('delete', old.id, old.document); \
     INSERT INTO order_search_fts(rowid, document) VALUES (new.id, new.document); END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(name("order_search"))
                    // An integer key: SQLite's FTS5 index refers to rows by it.
                    .col(
                        ColumnDef::new(name("id"))
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(uuid("order_id"))
                    .col(text(db, "document"))
                    .foreign_key(&mut foreign_key("order_search", "order_id", "orders"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "order_search",
                "uq_order_search_order",
                &["order_id"],
            ))
            .await?;
        let statements: Vec<&str> = match db {
            DatabaseBackend::Sqlite => SQLITE_FTS.to_vec(),
            DatabaseBackend::Postgres => vec![
                "CREATE INDEX ix_order_search_fts ON order_search \
                 USING gin (to_tsvector('simple', document))",
            ],
            DatabaseBackend::MySql => {
                vec!["ALTER TABLE order_search ADD FULLTEXT INDEX ix_order_search_fts (document)"]
            }
        };
        for sql in statements {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE order_search_fts")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(name("order_search")).to_owned())
            .await
    }
}
