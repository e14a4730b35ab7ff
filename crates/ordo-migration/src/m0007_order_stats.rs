//! Per-day order counts, so dashboards over long periods read a few thousand summary rows
//! instead of every order: for each UTC day an order was created on, its workflow, current status
//! and priority, how many orders, how many of them completed and their total processing seconds.
//! The application keeps it in step in each order change's transaction; this migration fills it
//! from the orders already there.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_order_stats"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(name("order_daily_stats"))
                    .col(string("day", 10))
                    .col(string("workflow", 64))
                    .col(string("status", 32))
                    .col(integer("priority"))
                    .col(big_integer("orders"))
                    .col(big_integer("completed"))
                    .col(big_integer("processing_seconds"))
                    .primary_key(
                        Index::create()
                            .col(name("day"))
                            .col(name("workflow"))
                            .col(name("status"))
                            .col(name("priority")),
                    )
                    .to_owned(),
            )
            .await?;
        let backfill = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                "INSERT INTO order_daily_stats SELECT date(created_at), workflow, status, priority, \
                 COUNT(*), COUNT(completed_at), \
                 COALESCE(SUM(CAST(strftime('%s', completed_at) AS INTEGER) - CAST(strftime('%s', created_at) AS INTEGER) \
                 - (CASE WHEN substr(completed_at, 21) < substr(created_at, 21) THEN 1 ELSE 0 END)), 0) \
                 FROM orders GROUP BY 1, 2, 3, 4"
            }
            DatabaseBackend::Postgres => {
                "INSERT INTO order_daily_stats SELECT TO_CHAR(created_at, 'YYYY-MM-DD'), workflow, status, priority, \
                 COUNT(*), COUNT(completed_at), \
                 COALESCE(SUM(TRUNC(EXTRACT(EPOCH FROM (completed_at - created_at)))), 0)::BIGINT \
                 FROM orders GROUP BY 1, 2, 3, 4"
            }
            DatabaseBackend::MySql => {
                "INSERT INTO order_daily_stats SELECT DATE_FORMAT(created_at, '%Y-%m-%d'), workflow, status, priority, \
                 COUNT(*), COUNT(completed_at), \
                 COALESCE(SUM(TIMESTAMPDIFF(SECOND, created_at, completed_at)), 0) \
                 FROM orders GROUP BY 1, 2, 3, 4"
            }
        };
        manager
            .get_connection()
            .execute_unprepared(backfill)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(name("order_daily_stats")).to_owned())
            .await
    }
}
