//! HTTP plumbing shared by every feature: request context, extractors, pagination, error bodies,
//! metrics, authentication and the middleware stack.

pub mod auth;
pub mod context;
pub mod cursor;
pub mod errors;
pub mod extract;
pub mod json;
pub mod metrics;
pub mod middleware;
pub mod pagination;
