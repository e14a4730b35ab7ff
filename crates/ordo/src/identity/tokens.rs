//! Access tokens (short-lived HS256 JWTs) and opaque secrets (refresh, reset, setup, OAuth state)
//! that are shown once and stored only as SHA-256 hashes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: Uuid,
    /// The session (login family) the token belongs to.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct AccessTokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl AccessTokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
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
        decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
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

    #[test]
    fn access_tokens_round_trip_and_reject_tampering() {
        let keys = AccessTokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let token = keys.issue(user, session, Utc::now(), 60).unwrap();
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
    fn secrets_are_random_and_hash_stably() {
        let (a, b) = (random_secret(), random_secret());
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_eq!(hash_secret(&a).len(), 64);
    }
}
