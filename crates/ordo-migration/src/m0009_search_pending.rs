//! SQLite: search documents reach the FTS5 index once per commit instead of once per writer.
//!
//! FTS5 writes the terms it holds in memory to a new segment on disk whenever a savepoint opens,
//! because it cannot undo them otherwise. Writers on SQLite each work under a savepoint of one
//! shared transaction, so with triggers feeding the index every order became a segment of its
//! own, and the index spent its time merging them. The triggers now note each change in
//! `order_search_pending`; the committer moves those changes into the index in the same
//! transaction, after the last writer's savepoint and just before the commit, so a group of
//! orders becomes one segment and search sees an order exactly when it is committed.
//! PostgreSQL and MySQL index documents themselves; nothing changes there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_search_pending"
    }
}

/// One row per change to the index, in order: `command` is NULL for a document to add and
/// `'delete'` for one to take out (FTS5's own command column takes exactly these).
const UP: &str = "
CREATE TABLE order_search_pending (
    seq INTEGER PRIMARY KEY,
    command TEXT,
    doc_id INTEGER NOT NULL,
    document TEXT NOT NULL
);
DROP TRIGGER order_search_ai;
DROP TRIGGER order_search_ad;
DROP TRIGGER order_search_au;
CREATE TRIGGER order_search_ai AFTER INSERT ON order_search BEGIN
    INSERT INTO order_search_pending (command, doc_id, document) VALUES (NULL, new.id, new.document);
END;
CREATE TRIGGER order_search_ad AFTER DELETE ON order_search BEGIN
    INSERT INTO order_search_pending (command, doc_id, document) VALUES ('delete', old.id, old.document);
END;
CREATE TRIGGER order_search_au AFTER UPDATE ON order_search BEGIN
    INSERT INTO order_search_pending (command, doc_id, document) VALUES ('delete', old.id, old.document);
    INSERT INTO order_search_pending (command, doc_id, document) VALUES (NULL, new.id, new.document);
END;
";

/// Moves the pending changes into the FTS5 index, oldest first (a document changed twice in one
/// group is taken out before its newer text goes in), and clears them. Run on SQLite in the
/// writers' transaction outside any savepoint, right before it commits.
pub const APPLY_PENDING_SEARCH: &str = "
INSERT INTO order_search_fts (order_search_fts, rowid, document)
    SELECT command, doc_id, document FROM order_search_pending ORDER BY seq;
DELETE FROM order_search_pending";

/// The triggers of m0005, which write the index directly; pending changes are applied first.
const DOWN: &str = "
DROP TRIGGER order_search_ai;
DROP TRIGGER order_search_ad;
DROP TRIGGER order_search_au;
DROP TABLE order_search_pending;
CREATE TRIGGER order_search_ai AFTER INSERT ON order_search BEGIN
    INSERT INTO order_search_fts(rowid, document) VALUES (new.id, new.document);
END;
CREATE TRIGGER order_search_ad AFTER DELETE ON order_search BEGIN
    INSERT INTO order_search_fts(order_search_fts, rowid, document) VALUES ('delete', old.id, old.document);
END;
CREATE TRIGGER order_search_au AFTER UPDATE ON order_search BEGIN
    INSERT INTO order_search_fts(order_search_fts, rowid, document) VALUES ('delete', old.id, old.document);
    INSERT INTO order_search_fts(rowid, document) VALUES (new.id, new.document);
END;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            manager.get_connection().execute_unprepared(UP).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            let connection = manager.get_connection();
            connection.execute_unprepared(APPLY_PENDING_SEARCH).await?;
            connection.execute_unprepared(DOWN).await?;
        }
        Ok(())
    }
}
