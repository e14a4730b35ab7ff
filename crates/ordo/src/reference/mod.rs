//! Admin-managed reference lists that order fields are validated against: priorities (1-4),
//! destinations, materials, parties, mills and carriers. An entry that an order has used is
//! deactivated rather than deleted.

pub mod entity;
pub mod routes;
pub mod service;

pub use service::{ensure_active, seed_defaults, Kind};
