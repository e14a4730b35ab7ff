//! Customers and products.

pub mod customers;
pub mod entity;
pub mod products;
pub mod routes;
