//! What every request handler can reach. Cheap to clone.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::Settings;
use crate::db::Db;
use crate::http::metrics::Metrics;
use crate::identity::password::PasswordHasher;
use crate::identity::session_cache::SessionCache;
use crate::identity::tokens::AccessTokenKeys;
use crate::mail::Mailer;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub settings: Settings,
    pub db: Db,
    pub access_keys: AccessTokenKeys,
    /// Sessions checked against the database in the last few seconds.
    pub sessions: SessionCache,
    pub hasher: PasswordHasher,
    pub mailer: Mailer,
    pub metrics: Metrics,
    pub http_client: reqwest::Client,
    pub started_at: Instant,
    /// Hash of the one-time first-admin setup token, while no admin exists.
    pub setup_token_hash: Mutex<Option<String>>,
    /// Exports running at once; each holds a thread while its client downloads.
    pub exports: Arc<tokio::sync::Semaphore>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}
