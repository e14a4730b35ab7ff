//! Use cases of the identity area; each state change is one transaction with its audit entry.

pub mod admin;
pub mod login;
pub mod oauth;
pub mod password_reset;
pub mod profile;
pub mod register;
pub mod sessions;
pub mod users;
