//! Database schema for Ordo, one set of migrations for SQLite, PostgreSQL and MySQL/MariaDB.
//!
//! Column types that differ between backends (timestamps, large binaries) come from [`columns`],
//! so every migration describes its tables once.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m0001_identity;
mod m0002_audit;
mod m0003_catalog;
mod m0004_orders;
mod m0005_search;
mod m0006_reporting;
mod m0007_order_stats;
mod m0008_order_due_stats;
mod m0009_search_pending;
mod m0010_search_merges;
mod m0011_order_detail_order;
mod m0012_later_fields_partial;

pub use m0009_search_pending::APPLY_PENDING_SEARCH;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_identity::Migration),
            Box::new(m0002_audit::Migration),
            Box::new(m0003_catalog::Migration),
            Box::new(m0004_orders::Migration),
            Box::new(m0005_search::Migration),
            Box::new(m0006_reporting::Migration),
            Box::new(m0007_order_stats::Migration),
            Box::new(m0008_order_due_stats::Migration),
            Box::new(m0009_search_pending::Migration),
            Box::new(m0010_search_merges::Migration),
            Box::new(m0011_order_detail_order::Migration),
            Box::new(m0012_later_fields_partial::Migration),
        ]
    }
}
