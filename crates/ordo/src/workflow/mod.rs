//! Order lifecycles as declarative state machines. The engine is pure (no I/O); the built-in
//! workflows cover the three families of orders, and admins can add more without code changes.

pub mod builtin;
pub mod definition;
pub mod engine;
pub mod routes;
pub mod store;

pub use definition::{Effect, OrderField, Transition, Workflow};
