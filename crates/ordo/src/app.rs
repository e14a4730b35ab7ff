//! One entry point for production and tests: build the application from settings and a bound
//! listener, then run it until a shutdown future resolves.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use tokio::net::TcpListener;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Settings;
use crate::db::{self, Db};
use crate::http::{errors, metrics::Metrics, middleware};
use crate::identity::password::PasswordHasher;
use crate::identity::service::users;
use crate::identity::tokens::{hash_secret, random_secret, AccessTokenKeys};
use crate::mail::Mailer;
use crate::state::{AppState, Inner};
use crate::{
    audit, catalog, dashboard, export, identity, import, inventory, openapi, ops, orders,
    reference, web, workflow,
};

pub struct Server {
    pub state: AppState,
    /// Set while no admin exists: the one-time token for `POST /api/v1/setup`.
    pub setup_token: Option<String>,
    listener: TcpListener,
    router: Router,
}

/// Connects, migrates and assembles the shared state.
pub async fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    let db = Db::connect(&settings.database_url, settings.database_max_connections).await?;
    db::migrate(&db).await?;
    reference::seed_defaults(db.conn()).await?;
    let secret = if settings.jwt_secret.is_empty() {
        stored_secret(&db, "jwt").await?
    } else {
        settings.jwt_secret.clone()
    };
    let hasher = PasswordHasher::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        settings.argon2_parallelism,
    )?;
    let mailer = Mailer::from_settings(&settings)?;
    let http_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .context("cannot build HTTP client")?;
    Ok(AppState::new(Inner {
        access_keys: AccessTokenKeys::new(secret.as_bytes()),
        sessions: Default::default(),
        settings,
        db,
        hasher,
        mailer,
        metrics: Metrics::default(),
        http_client,
        started_at: Instant::now(),
        setup_token_hash: std::sync::Mutex::new(None),
        exports: std::sync::Arc::new(tokio::sync::Semaphore::new(crate::export::MAX_RUNNING)),
    }))
}

/// A random secret kept in the database, so every instance on the same database shares it.
async fn stored_secret(db: &Db, name: &str) -> anyhow::Result<String> {
    use crate::server_secret::{ActiveModel, Entity};
    if let Some(row) = Entity::find_by_id(name.to_string()).one(db.conn()).await? {
        return Ok(row.value);
    }
    let inserted = ActiveModel {
        name: Set(name.into()),
        value: Set(random_secret()),
        created_at: Set(crate::time::now()),
    }
    .insert(db.conn())
    .await;
    if let Err(err) = inserted {
        // Another instance may have stored it first; read theirs.
        tracing::debug!(error = %err, "secret insert lost a race");
    }
    let row = Entity::find_by_id(name.to_string())
        .one(db.conn())
        .await?
        .context("server secret missing")?;
    Ok(row.value)
}

/// All routes with their middleware, and the OpenAPI document they describe.
pub fn router(state: &AppState) -> Router {
    let (api, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(identity::routes::router(state))
        .merge(audit::routes::router())
        .merge(catalog::routes::router())
        .merge(inventory::routes::router())
        .merge(reference::routes::router())
        .merge(workflow::routes::router())
        .merge(orders::routes::router())
        .merge(dashboard::routes::router())
        .merge(export::routes::router())
        .merge(import::routes::router())
        .merge(ops::router())
        .split_for_parts();
    openapi::add_standard_errors(&mut doc);
    let routes = Router::new()
        .merge(api)
        .merge(web::router(state))
        .fallback(errors::not_found);
    middleware::apply(routes, state, ops::openapi_document(&doc)).with_state(state.clone())
}

impl Server {
    pub async fn build(mut settings: Settings, listener: TcpListener) -> anyhow::Result<Server> {
        if settings.public_url.is_empty() {
            settings.public_url = format!("http://{}", listener.local_addr()?);
        }
        let state = build_state(settings).await?;
        let setup_token = if users::any_active_admin(state.db.conn()).await? {
            None
        } else {
            let token = random_secret();
            *state.setup_token_hash.lock().expect("setup token lock") = Some(hash_secret(&token));
            Some(token)
        };
        let router = router(&state);
        Ok(Server {
            state,
            setup_token,
            listener,
            router,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish for at most
    /// `shutdown_grace_secs`.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let grace = Duration::from_secs(self.state.settings.shutdown_grace_secs);
        let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
        // Search entries for orders from before search existed, and statistics for the query
        // planner: seconds on a large database, so the server answers meanwhile.
        let state = self.state.clone();
        tokio::spawn(async move {
            let maintenance = match state.db.maintenance().await {
                Ok(maintenance) => maintenance,
                Err(err) => {
                    tracing::warn!(error = %err, "start-up maintenance not run");
                    return;
                }
            };
            match orders::search::backfill_missing(&state, maintenance.conn()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(orders = n, "search entries written for older orders"),
                Err(err) => {
                    tracing::warn!(error = %err, "search entries for older orders not written")
                }
            }
            if let Err(err) = db::optimize(maintenance.conn()).await {
                tracing::warn!(
                    error = format!("{err:#}"),
                    "planner statistics not refreshed"
                );
            }
            maintenance.close().await;
            crate::memory::release_freed();
        });
        let job = tokio::spawn(orders::jobs::run_periodically(
            self.state.clone(),
            stopping_rx.clone(),
        ));
        let serve = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stopping_tx.send(true);
        });
        let deadline = async move {
            let _ = stopping_rx.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = serve => result.context("server failed")?,
            _ = deadline => tracing::warn!("shutdown grace period over; dropping remaining connections"),
        }
        job.abort();
        self.state.db.clone().close().await;
        Ok(())
    }
}
