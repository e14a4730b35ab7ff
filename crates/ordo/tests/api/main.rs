//! Scenario tests over HTTP against the real application. Each scenario runs on SQLite always and
//! on PostgreSQL and MySQL/MariaDB when ORDO_TEST_POSTGRES_URL / ORDO_TEST_MYSQL_URL are set.

mod harness;

mod accounts;
mod admin_users;
mod audit_log;
mod bulk;
mod catalog;
mod cli;
mod concurrency;
mod conventions;
mod dashboards;
mod exports;
mod hardening;
mod imports;
mod oauth;
mod operations;
mod order_details;
mod orders;
mod pages;
mod permissions;
mod profile;
mod search;
mod sessions;
