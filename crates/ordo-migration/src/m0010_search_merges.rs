//! SQLite: the full-text index merges its segments in larger, rarer steps.
//!
//! Every group commit adds a small segment to the FTS5 index (see `m0009_search_pending`). With
//! FTS5's default `automerge` of 4, every 64 leaves written it merges 64 leaves per level of the
//! index in the commit that crosses the mark: at a million orders about 20 ms, about twice a
//! second at full load, with every writer of that group waiting. At 8, a level is merged only
//! once it holds eight segments: an index updated group by group does half the merge work in all,
//! and the pauses come a tenth as often. A search then reads up to seven segments per level
//! instead of three, which costs it no measurable time at a million orders (16 would: searches
//! took twice as long). The setting is kept in the index's own configuration table, so it holds
//! for every connection. PostgreSQL and MySQL keep their full-text indexes themselves.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_search_merges"
    }
}

/// Segments a level of the index gathers before they are merged into one on the next level.
const AUTOMERGE: u32 = 8;
/// FTS5's own default, which `down` restores.
const FTS5_DEFAULT_AUTOMERGE: u32 = 4;

fn set_automerge(segments: u32) -> String {
    format!(
        "INSERT INTO order_search_fts (order_search_fts, rank) VALUES ('automerge', {segments})"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared(&set_automerge(AUTOMERGE))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared(&set_automerge(FTS5_DEFAULT_AUTOMERGE))
                .await?;
        }
        Ok(())
    }
}
