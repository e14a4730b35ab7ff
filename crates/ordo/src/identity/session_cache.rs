//! Sessions recently checked against the database, so that a client making many requests does
//! not read its session and account on each one (that read was a fifth of the statements of an
//! order page view).
//!
//! An entry is trusted for [`FRESH_FOR`] at most. Any request to the routes through which accounts
//! and sessions change (the identity API: sign-out, password, role, deactivation, deletion, OAuth;
//! and the password-reset page) forgets every entry once it has been handled, so such changes made
//! through this server apply to the very next request. Changes made through another server on the
//! same database apply within [`FRESH_FOR`], and so does one whose request was dropped (client
//! gone, timeout) while its commit was still on the way.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::NaiveDateTime;
use uuid::Uuid;

use crate::http::auth::AuthUser;
use crate::state::AppState;

/// How long a checked session is trusted without asking the database again.
pub const FRESH_FOR: Duration = Duration::from_secs(5);

/// Entries kept at most; stale ones are dropped first, then everything.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct SessionCache {
    /// Moves on whenever entries are forgotten. An entry read from the database before a change
    /// carries the generation from before it, so a lookup racing with the change cannot bring
    /// the old state back.
    generation: AtomicU64,
    entries: Mutex<HashMap<Uuid, Entry>>,
}

struct Entry {
    user: AuthUser,
    session_expires_at: NaiveDateTime,
    checked_at: Instant,
    generation: u64,
}

impl SessionCache {
    /// Take this before reading the session from the database and hand it to [`Self::remember`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The caller of session `session_id`, if it was checked recently for user `user_id` and
    /// nothing has been forgotten since.
    pub fn get(&self, session_id: Uuid, user_id: Uuid, now: NaiveDateTime) -> Option<AuthUser> {
        let generation = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(&session_id)?;
        let usable = entry.generation == generation
            && entry.user.id == user_id
            && entry.session_expires_at > now
            && entry.checked_at.elapsed() < FRESH_FOR;
        usable.then(|| entry.user.clone())
    }

    /// Keeps `user`, read from the database after [`Self::generation`] answered `generation`.
    pub fn remember(&self, generation: u64, user: &AuthUser, session_expires_at: NaiveDateTime) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| e.checked_at.elapsed() < FRESH_FOR);
            // Mostly fresh entries: start over rather than sweep again on the next insert.
            if entries.len() >= CAPACITY / 2 {
                entries.clear();
            }
        }
        entries.insert(
            user.session_id,
            Entry {
                user: user.clone(),
                session_expires_at,
                checked_at: Instant::now(),
                generation,
            },
        );
    }

    /// Forgets every entry; call after a change to accounts or sessions has been committed.
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// Middleware for the routes through which accounts and sessions change: once one has been
/// handled, and its transaction committed, no remembered check is trusted any more. Also when the
/// handler is dropped part-way (it may have committed by then).
pub async fn forget_checked_sessions(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    struct ForgetWhenDone<'a>(&'a AppState);
    impl Drop for ForgetWhenDone<'_> {
        fn drop(&mut self) {
            self.0.sessions.forget_all();
        }
    }
    let _forget = ForgetWhenDone(&state);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::role::Role;

    fn user() -> AuthUser {
        AuthUser {
            id: Uuid::now_v7(),
            role: Role::Manager,
            session_id: Uuid::now_v7(),
            email: "m@example.com".into(),
        }
    }

    fn now() -> NaiveDateTime {
        crate::time::now()
    }

    #[test]
    fn answers_a_remembered_session_for_its_user_only() {
        let cache = SessionCache::default();
        let user = user();
        cache.remember(
            cache.generation(),
            &user,
            now() + chrono::Duration::hours(1),
        );
        let hit = cache
            .get(user.session_id, user.id, now())
            .expect("remembered");
        assert_eq!((hit.id, hit.role), (user.id, Role::Manager));
        assert!(cache.get(user.session_id, Uuid::now_v7(), now()).is_none());
        assert!(cache.get(Uuid::now_v7(), user.id, now()).is_none());
    }

    #[test]
    fn an_expired_session_is_not_answered() {
        let cache = SessionCache::default();
        let user = user();
        let expires = now() + chrono::Duration::seconds(1);
        cache.remember(cache.generation(), &user, expires);
        assert!(cache.get(user.session_id, user.id, expires).is_none());
    }

    #[test]
    fn forgetting_drops_entries_and_refuses_reads_from_before() {
        let cache = SessionCache::default();
        let user = user();
        let later = now() + chrono::Duration::hours(1);
        cache.remember(cache.generation(), &user, later);
        let before_change = cache.generation();
        cache.forget_all();
        assert!(cache.get(user.session_id, user.id, now()).is_none());
        // A lookup that read the database before the change and stores its answer after it.
        cache.remember(before_change, &user, later);
        assert!(cache.get(user.session_id, user.id, now()).is_none());
        cache.remember(cache.generation(), &user, later);
        assert!(cache.get(user.session_id, user.id, now()).is_some());
    }
}
