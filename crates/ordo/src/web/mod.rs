//! Server-rendered pages. For now the two that links printed or mailed by the server open: the
//! first-admin setup page and the password reset page. They post plain HTML forms to the same
//! services the API uses.

mod first_run;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/setup",
            get(first_run::setup_page).post(first_run::submit_setup),
        )
        .route(
            "/reset-password",
            get(first_run::reset_page).post(first_run::submit_reset),
        )
}
