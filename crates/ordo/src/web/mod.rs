//! Server-rendered pages. For now the two that links printed or mailed by the server open: the
//! first-admin setup page and the password reset page. They post plain HTML forms to the same
//! services the API uses.

mod first_run;

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;

use crate::identity::session_cache::forget_checked_sessions;
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/setup",
            get(first_run::setup_page).post(first_run::submit_setup),
        )
        .route(
            "/reset-password",
            get(first_run::reset_page).post(first_run::submit_reset),
        )
        // A password reset ends the account's sessions.
        .layer(from_fn_with_state(state.clone(), forget_checked_sessions))
}
