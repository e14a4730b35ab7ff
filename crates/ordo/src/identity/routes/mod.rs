//! HTTP routes of the identity area: thin handlers that parse, authorize and call one service.

mod admin;
mod auth;
mod oauth;
mod profile;
mod setup;

use axum::extract::{Request, State};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(oauth::router())
        .merge(profile::router(state))
        .merge(admin::router())
        .merge(setup::router())
        .layer(from_fn_with_state(state.clone(), forget_checked_sessions))
}

/// Accounts and sessions change only through these routes (OAuth sign-in included, on a GET), so
/// once one of them has been handled, and its transaction committed, no remembered session check
/// is trusted any more.
async fn forget_checked_sessions(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let response = next.run(req).await;
    state.sessions.forget_all();
    response
}
