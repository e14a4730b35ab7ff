//! Database rows of the identity area.

pub mod avatar;
pub mod login_attempt;
pub mod oauth_identity;
pub mod oauth_state;
pub mod refresh_token;
pub mod reset_token;
pub mod session;
pub mod user;
