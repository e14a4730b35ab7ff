//! HTTP routes of the identity area: thin handlers that parse, authorize and call one service.

mod admin;
mod auth;
mod oauth;
mod profile;
mod setup;

use axum::middleware::from_fn_with_state;
use utoipa_axum::router::OpenApiRouter;

use crate::identity::session_cache::forget_checked_sessions;
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
