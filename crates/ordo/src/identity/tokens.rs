//! Access tokens (short-lived HS256 JWTs) and opaque secrets (refresh, reset, setup, OAuth state)
//! that are shown once and stored only as SHA-256 hashes.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: Uuid,
    /// The session (login family) the token belongs to.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

/// Seconds a token is still accepted after its expiry, for clocks a little apart.
const LEEWAY_SECS: i64 = 5;

/// Tokens kept verified at most; expired ones are dropped first, then everything.
const VERIFIED_CAPACITY: usize = 10_000;

pub struct AccessTokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Tokens whose signature was checked, with their claims. A client sends the same token on
    /// every request until it expires, and checking it again (decoding, hashing, parsing its
    /// claims) was a tenth of the instructions of reading an order. An entry answers only the
    /// very token it was made from, compared in full, and only while that token is unexpired.
    verified: Mutex<HashMap<Box<str>, AccessClaims>>,
}

impl AccessTokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS as u64;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: Mutex::default(),
        }
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
        ttl_secs: u64,
    ) -> anyhow::Result<String> {
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: now.timestamp() + ttl_secs as i64,
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        self.verify_at(token, Utc::now().timestamp())
    }

    /// [`Self::verify`] at `now` (seconds since the epoch) for tokens checked before; a token
    /// checked now for the first time is judged by the clock.
    fn verify_at(&self, token: &str, now: i64) -> Option<AccessClaims> {
        let unexpired = |claims: &AccessClaims| claims.exp + LEEWAY_SECS >= now;
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(claims) = verified.get(token) {
            return unexpired(claims).then_some(*claims);
        }
        drop(verified);
        let claims = decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if verified.len() >= VERIFIED_CAPACITY {
            verified.retain(|_, claims| unexpired(claims));
            // Mostly live tokens: start over rather than sweep again on the next insert.
            if verified.len() >= VERIFIED_CAPACITY / 2 {
                verified.clear();
            }
        }
        verified.insert(token.into(), claims);
        Some(claims)
    }
}

/// A new random secret of 256 bits, URL-safe.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How secrets are stored: the hex SHA-256 of the secret (they are random, so no salt is needed).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys, and a token they issued just now for a new user and session, valid for a minute.
    fn keys_and_token() -> (AccessTokenKeys, Uuid, Uuid, String) {
        let keys = AccessTokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let token = keys.issue(user, session, Utc::now(), 60).unwrap();
        (keys, user, session, token)
    }

    #[test]
    fn access_tokens_round_trip_and_reject_tampering() {
        let (keys, user, session, token) = keys_and_token();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub, claims.sid), (user, session));
        let other = AccessTokenKeys::new(b"another secret another secret 00");
        assert!(other.verify(&token).is_none());
        let expired = keys
            .issue(user, session, Utc::now() - chrono::Duration::hours(1), 60)
            .unwrap();
        assert!(keys.verify(&expired).is_none());
    }

    #[test]
    fn a_verified_token_answers_only_itself_and_only_until_it_expires() {
        let (keys, user, session, token) = keys_and_token();
        let first = keys.verify(&token).unwrap();
        let again = keys.verify(&token).unwrap();
        assert_eq!(
            (again.sub, again.sid, again.exp),
            (user, session, first.exp)
        );
        // The same claims under a changed signature, after the genuine token was remembered.
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
        let forged = format!("{signed}.{flipped}{}", &signature[1..]);
        assert!(keys.verify(&forged).is_none());
        assert!(keys.verify(&token[..token.len() - 1]).is_none());
        // Remembered, but past its expiry and the leeway.
        assert!(keys.verify_at(&token, first.exp + LEEWAY_SECS).is_some());
        assert!(keys
            .verify_at(&token, first.exp + LEEWAY_SECS + 1)
            .is_none());
    }

    #[test]
    fn secrets_are_random_and_hash_stably() {
        let (a, b) = (random_secret(), random_secret());
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_eq!(hash_secret(&a).len(), 64);
    }
}
