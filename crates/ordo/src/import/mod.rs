//! CSV imports of orders and products, in the columns their exports write, validated row by row
//! with line numbers, with a dry run and an all-or-nothing mode.

pub mod file;
pub mod orders;
pub mod products;
pub mod routes;
pub mod run;
