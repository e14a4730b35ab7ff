//! The append-only audit log: who did what to which record, from where, and when.
//! Entries are written by the service that makes the change, inside its transaction.

pub mod entity;
pub mod routes;
pub mod service;

pub use service::{record, AuditEntry};
