//! HTTP routes of the identity area: thin handlers that parse, authorize and call one service.

mod admin;
mod auth;
mod oauth;
mod profile;
mod setup;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(oauth::router())
        .merge(profile::router(state))
        .merge(admin::router())
        .merge(setup::router())
}
