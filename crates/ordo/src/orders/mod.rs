//! Orders: placing, reading, editing and moving them through their workflow, with items,
//! shipments, assignment, idempotent creation and the auto-advance job.

pub mod access;
pub mod entity;
pub mod idempotency;
pub mod input;
pub mod jobs;
pub mod routes;
pub mod search;
pub mod service;
pub mod stats;
pub mod store;
pub mod view;
