//! Password rules and hashing (argon2id).

use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use argon2::password_hash::{
    Output, PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AppError, FieldError};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

static COMMON: &str = include_str!("common_passwords.txt");

fn is_common(password: &str) -> bool {
    let lowered = password.to_lowercase();
    COMMON.lines().any(|line| line == lowered)
}

/// Checks the password rules; `field` names the request field in the error.
pub fn check_policy(field: &str, password: &str, email: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&chars) {
        return Err(FieldError::new(
            field,
            format!("must be {MIN_LEN} to {MAX_LEN} characters"),
        ));
    }
    if password.eq_ignore_ascii_case(email)
        || password.eq_ignore_ascii_case(email.split('@').next().unwrap_or(""))
    {
        return Err(FieldError::new(field, "must not be your e-mail address"));
    }
    if is_common(password) {
        return Err(FieldError::new(
            field,
            "is too common; choose a less guessable password",
        ));
    }
    Ok(())
}

/// Hashes and verifies passwords with the configured argon2id cost.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A hash with the configured cost, a random salt and a random digest that no password
    /// produces, verified against when an account does not exist so that a failed login takes
    /// the same time either way. Made up rather than computed, so starting the server does not
    /// spend argon2's time and working memory (19 MB by default, which the allocator would keep).
    dummy_hash: String,
}

impl PasswordHasher {
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> anyhow::Result<Self> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let salt = SaltString::generate(&mut OsRng);
        let mut digest = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
        OsRng.fill_bytes(&mut digest);
        let digest = Output::new(&digest).map_err(|e| anyhow::anyhow!("dummy hash: {e}"))?;
        let dummy_hash = format!(
            "$argon2id$v=19$m={},t={},p={}${}${digest}",
            params.m_cost(),
            params.t_cost(),
            params.p_cost(),
            salt.as_str()
        );
        PasswordHash::new(&dummy_hash).map_err(|e| anyhow::anyhow!("dummy hash: {e}"))?;
        Ok(Self { params, dummy_hash })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        let _working = Working::start();
        let hashed = self
            .argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"));
        hashed
    }

    /// Hashing is deliberately slow, so it runs off the async workers.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let hasher = self.clone();
        tokio::task::spawn_blocking(move || hasher.hash_blocking(&password))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(AppError::Internal)
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there is none.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let hasher = self.clone();
        let exists = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let ok = tokio::task::spawn_blocking(move || {
            let _working = Working::start();
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                hasher
                    .argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
        Ok(ok && exists)
    }
}

/// Hashes running now.
static WORKING: AtomicUsize = AtomicUsize::new(0);

/// A hash in progress. Each holds its working memory (m_cost KiB, 19 MiB by default); the last
/// of a burst to end hands what the allocator kept back to the system. Kept, a burst of logins
/// would leave the server that much larger for good. Hashes that overlap share what is kept; a
/// hash after a quiet moment maps its memory again (a few milliseconds next to the hash's tens).
struct Working;

impl Working {
    fn start() -> Working {
        WORKING.fetch_add(1, Ordering::SeqCst);
        Working
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        if WORKING.fetch_sub(1, Ordering::SeqCst) == 1 {
            crate::memory::release_freed();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_rejects_short_long_common_and_email() {
        assert!(check_policy("password", "short", "a@b.io").is_err());
        assert!(check_policy("password", &"x".repeat(129), "a@b.io").is_err());
        assert!(check_policy("password", "Password123", "a@b.io").is_err());
        assert!(check_policy("password", "jane.doe@example.com", "jane.doe@example.com").is_err());
        assert!(check_policy("password", "correct horse battery", "a@b.io").is_ok());
    }

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id() {
        let hasher = PasswordHasher::new(1024, 1, 1).unwrap();
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        let hash_again = hash.clone();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher
            .verify("correct horse battery".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong horse battery".into(), Some(hash))
            .await
            .unwrap());
        assert!(!hasher.verify("anything at all".into(), None).await.unwrap());
        // The made-up hash costs what a real one does: same algorithm and parameters.
        let dummy = PasswordHash::new(&hasher.dummy_hash).unwrap();
        let real = PasswordHash::new(&hash_again).unwrap();
        assert_eq!(
            (dummy.algorithm, dummy.version, &dummy.params),
            (real.algorithm, real.version, &real.params)
        );
    }
}
