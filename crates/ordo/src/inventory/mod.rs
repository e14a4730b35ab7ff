//! Stock: levels per product kept in step with an append-only ledger of movements.

pub mod entity;
pub mod ledger;
pub mod routes;
pub mod service;
