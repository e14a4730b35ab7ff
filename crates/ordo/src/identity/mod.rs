//! Accounts, roles, sessions, sign-in (password and OAuth), profiles and user administration.

pub mod avatar;
pub mod entity;
pub mod fields;
pub mod password;
pub mod permissions;
pub mod role;
pub mod routes;
pub mod service;
pub mod session_cache;
pub mod tokens;
pub mod view;
