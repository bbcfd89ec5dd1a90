//! Authentication: Argon2 password hashes, HS256 JWT access/refresh tokens, and
//! brute-force protection on login (kept in the database, so it holds across replicas).

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read and write.
    Admin,
    /// Read only.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
    /// A proxy of one cluster (`sub` is the cluster id); used by the local proxy of `serve`.
    Proxy,
    /// Short-lived, for the OTLP receiver only (`sub` is the cluster id): the span a
    /// tracing config's test sends to this control plane's own receiver.
    Ingest,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    pub name: String,
    pub role: Role,
    pub typ: TokenType,
    pub iat: u64,
    pub exp: u64,
}

impl Claims {
    pub fn user_id(&self) -> i64 {
        self.sub.parse().unwrap_or(0)
    }
}

/// A token that is malformed, badly signed, expired or of another type (the API answers
/// 401 without saying which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidToken;

/// A login's answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Signing keys and token lifetimes.
pub struct AuthKeys {
    enc: EncodingKey,
    dec: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl AuthKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.validate_exp = true;
        Self {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
            validation,
            access_ttl: Duration::from_secs(30 * 60),
            refresh_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }

    pub fn issue(&self, user_id: i64, username: &str, role: Role) -> TokenPair {
        let now = chrono::Utc::now().timestamp() as u64;
        let make = |typ, ttl: Duration| {
            let claims = Claims {
                sub: user_id.to_string(),
                name: username.to_string(),
                role,
                typ,
                iat: now,
                exp: now + ttl.as_secs(),
            };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
                .expect("HS256 encoding cannot fail")
        };
        TokenPair {
            access_token: make(TokenType::Access, self.access_ttl),
            refresh_token: make(TokenType::Refresh, self.refresh_ttl),
            token_type: "bearer".into(),
            expires_in: self.access_ttl.as_secs(),
        }
    }

    fn verify(&self, token: &str, typ: TokenType) -> Result<Claims, InvalidToken> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.dec, &self.validation).map_err(|_| InvalidToken)?;
        if data.claims.typ != typ {
            return Err(InvalidToken);
        }
        Ok(data.claims)
    }

    pub fn verify_access(&self, token: &str) -> Result<Claims, InvalidToken> {
        self.verify(token, TokenType::Access)
    }

    pub fn verify_refresh(&self, token: &str) -> Result<Claims, InvalidToken> {
        self.verify(token, TokenType::Refresh)
    }

    /// A long-lived credential for a proxy of `cluster_id` (the local proxy of `serve`).
    pub fn issue_proxy_token(&self, cluster_id: i64) -> String {
        let now = chrono::Utc::now().timestamp() as u64;
        let claims = Claims {
            sub: cluster_id.to_string(),
            name: format!("proxy@{cluster_id}"),
            role: Role::Viewer,
            typ: TokenType::Proxy,
            iat: now,
            exp: now + 10 * 365 * 24 * 3600,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc).expect("HS256 encoding cannot fail")
    }

    pub fn verify_proxy(&self, token: &str) -> Result<i64, InvalidToken> {
        Ok(self.verify(token, TokenType::Proxy)?.user_id())
    }

    /// A credential accepted only by the OTLP receiver, valid for `ttl`.
    pub fn issue_ingest_token(&self, cluster_id: i64, ttl: Duration) -> String {
        let now = chrono::Utc::now().timestamp() as u64;
        let claims = Claims {
            sub: cluster_id.to_string(),
            name: format!("ingest@{cluster_id}"),
            role: Role::Viewer,
            typ: TokenType::Ingest,
            iat: now,
            exp: now + ttl.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc).expect("HS256 encoding cannot fail")
    }

    pub fn verify_ingest(&self, token: &str) -> Result<i64, InvalidToken> {
        Ok(self.verify(token, TokenType::Ingest)?.user_id())
    }
}

/// Hash a password with Argon2id (off the async runtime: it is deliberately slow).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::fill(&mut salt);
        Argon2::default()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await?
}

/// Check a password against a stored hash.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordVerifier::<str>::verify_password(&Argon2::default(), password.as_bytes(), hash.as_str()).is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so timing does not reveal it.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2k6T9Lr8f8E3Sk5p8b0Y0s6m8wE3H0vJkYV2pA0hF7c";

/// Brute-force policy.
pub struct LoginPolicy {
    /// Failures per user and client address before a lock.
    pub max_failures_per_user: i64,
    /// Failures per client address (any user) before a lock.
    pub max_failures_per_ip: i64,
    pub window: Duration,
    pub lockout: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            max_failures_per_user: 5,
            max_failures_per_ip: 20,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

/// Generate a random secret of `n` bytes as URL-safe base64 (no padding).
pub fn random_secret(n: usize) -> String {
    use base64::Engine as _;
    let mut b = vec![0u8; n];
    rand::fill(&mut b[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_round_trip() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), h.clone()).await);
        assert!(!verify_password("wrong".into(), h).await);
        assert!(!verify_password("x".into(), DUMMY_HASH.into()).await);
    }

    #[test]
    fn tokens_are_typed_and_signed() {
        let k = AuthKeys::new(b"0123456789abcdef0123456789abcdef");
        let pair = k.issue(7, "alice", Role::Viewer);
        let c = k.verify_access(&pair.access_token).unwrap();
        assert_eq!((c.user_id(), c.role), (7, Role::Viewer));
        assert!(k.verify_access(&pair.refresh_token).is_err(), "a refresh token is not an access token");
        assert!(k.verify_refresh(&pair.refresh_token).is_ok());
        let other = AuthKeys::new(b"another-secret-another-secret-xx");
        assert!(other.verify_access(&pair.access_token).is_err());
        // An ingest token opens the OTLP receiver only: it is no proxy, user or refresh token.
        let ingest = k.issue_ingest_token(3, Duration::from_secs(60));
        assert_eq!(k.verify_ingest(&ingest), Ok(3));
        assert!(k.verify_proxy(&ingest).is_err() && k.verify_access(&ingest).is_err());
        assert!(k.verify_ingest(&k.issue_proxy_token(3)).is_err());
    }
}
