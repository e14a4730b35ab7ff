//! Ordo: an order management server with a REST API and web app over SQLite, PostgreSQL or
//! MySQL/MariaDB. The code is organised by feature; `app` assembles them.

pub mod app;
pub mod audit;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod export;
pub mod fixed;
pub mod http;
pub mod identity;
pub mod import;
pub mod inventory;
pub mod mail;
pub mod memory;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod reference;
pub mod server_secret;
pub mod state;
pub mod telemetry;
pub mod time;
pub mod web;
pub mod workflow;
