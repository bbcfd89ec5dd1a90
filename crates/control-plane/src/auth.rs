//! Authentication: Argon2 password hashes (under a concurrency cap), the password policy,
//! HS256 JWT access/refresh tokens (each with an id and its user's token version, so they
//! can be revoked), the client address behind trusted proxies, and the brute-force policy
//! on login (kept in the database, so it holds across replicas).

use std::net::IpAddr;
use std::sync::LazyLock;
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
    /// The role when the token was issued. Requests use the user's current role, read from
    /// the database (see `api::extract::AuthUser`).
    pub role: Role,
    pub typ: TokenType,
    pub iat: u64,
    pub exp: u64,
    /// The user's token version when issued: a password or role change bumps it, and every
    /// older token stops working.
    #[serde(default)]
    pub ver: i64,
    /// The token's id, for revoking one token (a logout's refresh token).
    #[serde(default)]
    pub jti: String,
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

    /// Tokens for a user whose token version is `token_version`.
    pub fn issue(&self, user_id: i64, username: &str, role: Role, token_version: i64) -> TokenPair {
        let make = |typ, ttl| self.sign(&user_id.to_string(), username, role, typ, ttl, token_version);
        TokenPair {
            access_token: make(TokenType::Access, self.access_ttl),
            refresh_token: make(TokenType::Refresh, self.refresh_ttl),
            token_type: "bearer".into(),
            expires_in: self.access_ttl.as_secs(),
        }
    }

    /// A signed token of `typ` for `sub`, valid for `ttl`, with a fresh id.
    fn sign(&self, sub: &str, name: &str, role: Role, typ: TokenType, ttl: Duration, ver: i64) -> String {
        let now = chrono::Utc::now().timestamp() as u64;
        let claims = Claims {
            sub: sub.to_string(),
            name: name.to_string(),
            role,
            typ,
            iat: now,
            exp: now + ttl.as_secs(),
            ver,
            jti: random_secret(16),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc).expect("HS256 encoding cannot fail")
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
        let ten_years = Duration::from_secs(10 * 365 * 24 * 3600);
        self.sign(&cluster_id.to_string(), &format!("proxy@{cluster_id}"), Role::Viewer, TokenType::Proxy, ten_years, 0)
    }

    pub fn verify_proxy(&self, token: &str) -> Result<i64, InvalidToken> {
        Ok(self.verify(token, TokenType::Proxy)?.user_id())
    }

    /// A credential accepted only by the OTLP receiver, valid for `ttl`.
    pub fn issue_ingest_token(&self, cluster_id: i64, ttl: Duration) -> String {
        self.sign(&cluster_id.to_string(), &format!("ingest@{cluster_id}"), Role::Viewer, TokenType::Ingest, ttl, 0)
    }

    pub fn verify_ingest(&self, token: &str) -> Result<i64, InvalidToken> {
        Ok(self.verify(token, TokenType::Ingest)?.user_id())
    }
}

/// Argon2 runs at most this many at a time, process-wide. Each hash fills 19 MiB
/// (Argon2id's default m=19456 KiB) and is CPU-bound, so more than one per core buys no
/// throughput: 500 parallel logins wait here in turn instead of allocating 9 GiB.
/// The slot is held by the blocking task itself, so a request that is cancelled (its client
/// went away, its deadline passed) while the hash runs does not free the slot early.
static ARGON2_SLOTS: LazyLock<std::sync::Arc<tokio::sync::Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::sync::Arc::new(tokio::sync::Semaphore::new(cores.clamp(1, 16)))
});

/// Hash a password with Argon2id (off the async runtime: it is deliberately slow).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    let slot = ARGON2_SLOTS.clone().acquire_owned().await?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
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
    let Ok(slot) = ARGON2_SLOTS.clone().acquire_owned().await else { return false };
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
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

/// Why a user name is refused (the 422's reason), or `None` when it is acceptable.
pub fn username_problem(username: &str) -> Option<&'static str> {
    let ok = !username.is_empty()
        && username.len() <= 100
        && username.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    (!ok).then_some("must be 1-100 characters of letters, digits and . _ - @")
}

/// Why a password is refused (the 422's reason), or `None` when it is acceptable.
/// Always 8-1024 characters and not the user name. Release mode adds a minimum policy
/// (NIST SP 800-63B in spirit: length first): at least 12 characters, at least three of
/// lower case, upper case, digits and symbols, and none of the well-known defaults.
pub fn password_problem(password: &str, username: &str, release_mode: bool) -> Option<&'static str> {
    let chars = password.chars().count();
    if chars > 1024 {
        return Some("must be at most 1024 characters");
    }
    if chars < 8 {
        return Some("must be at least 8 characters");
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower == username.to_lowercase() {
        return Some("must not be the user name");
    }
    if !release_mode {
        return None;
    }
    if chars < 12 {
        return Some("must be at least 12 characters in release mode");
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|&&c| c).count() < 3 {
        return Some("must mix at least three of: lower case, upper case, digits, symbols (release mode)");
    }
    // Well-known defaults: these anywhere in the password, or the password's letters
    // being only a common word ("Admin2024!!").
    const NEVER: [&str; 5] = ["password", "passw0rd", "marchproxy", "changeme", "letmein"];
    const ALONE: [&str; 6] = ["admin", "welcome", "qwerty", "secret", "root", "test"];
    let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    if NEVER.iter().any(|k| lower.contains(k))
        || ALONE.contains(&letters.as_str())
        || letters == username.to_lowercase()
    {
        return Some("must not be built on a well-known default such as `password` or `admin` (release mode)");
    }
    None
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy; then the
/// right-most address of `X-Forwarded-For` that is not itself trusted (the left part of
/// the header is whatever the client wrote, and proves nothing).
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[marchproxy_outbound::Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let Some(header) = forwarded_for else { return peer };
    let mut client = peer;
    for hop in header.rsplit(',') {
        match parse_hop(hop.trim()) {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            // A hop that is no address: stop at the last trustworthy one.
            None => break,
        }
    }
    client
}

/// One `X-Forwarded-For` hop: an address, or an address with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`), as some proxies write them.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sa) = hop.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok())
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
    fn the_password_policy_is_stricter_in_release_mode() {
        assert_eq!(password_problem("short", "bob", false), Some("must be at least 8 characters"));
        assert!(password_problem("bob-the-builder", "bob-the-builder", false).is_some());
        assert_eq!(password_problem("admin-password", "admin", false), None, "development mode: length only");
        for weak in
            ["admin-password", "alllowercaseletters", "Sh0rt!", "MyPassword123!", "ChangeMe12345", "Admin2024!!!!"]
        {
            assert!(password_problem(weak, "admin", true).is_some(), "{weak}");
        }
        for strong in ["correct-Horse-battery", "Tr0ub4dor&3xyz", "plain words AND 4 digits", "Badminton-Court-7"] {
            assert_eq!(password_problem(strong, "admin", true), None, "{strong}");
        }
        assert!(password_problem(&"x".repeat(1025), "a", false).is_some());
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_peers() {
        let trusted: Vec<marchproxy_outbound::Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // An untrusted peer cannot choose its address.
        assert_eq!(client_ip(ip("203.0.113.9"), Some("198.51.100.1"), &trusted), ip("203.0.113.9"));
        // Behind the ingress: the right-most untrusted hop; what the client prepended is ignored.
        assert_eq!(client_ip(ip("10.1.1.1"), Some("1.2.3.4, 198.51.100.7, 10.2.2.2"), &trusted), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("10.1.1.1"), None, &trusted), ip("10.1.1.1"));
        assert_eq!(client_ip(ip("10.1.1.1"), Some("garbage, 198.51.100.7"), &trusted), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("10.1.1.1"), Some("198.51.100.7, garbage"), &trusted), ip("10.1.1.1"));
        assert_eq!(client_ip(ip("127.0.0.1"), Some("198.51.100.7"), &[]), ip("127.0.0.1"));
        // Hops with ports, as some proxies write them.
        assert_eq!(client_ip(ip("10.1.1.1"), Some("198.51.100.7:4711"), &trusted), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("10.1.1.1"), Some("[2001:db8::1]:4711"), &trusted), ip("2001:db8::1"));
        assert_eq!(client_ip(ip("10.1.1.1"), Some("[2001:db8::1]"), &trusted), ip("2001:db8::1"));
    }

    /// 200 verifications at once stay within the cap: the process's peak memory does not
    /// grow by 200 × 19 MiB. nextest runs each test in its own process, so the high-water
    /// mark is this test's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parallel_verifications_are_bounded_in_memory() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        let before = peak_rss_kib();
        let all = (0..200).map(|_| tokio::spawn(verify_password("wrong".into(), hash.clone())));
        for r in futures::future::join_all(all).await {
            assert!(!r.unwrap());
        }
        // Uncapped, 200 × 19 MiB = 3.8 GiB are live at once. Capped, what remains is what
        // the allocator keeps cached per blocking thread (glibc arenas: a few hundred MiB).
        let grown_mib = (peak_rss_kib() - before) / 1024;
        assert!(grown_mib < 1024, "peak memory grew by {grown_mib} MiB");
    }

    /// Verifications whose callers give up (a client gone, a deadline passed) keep their
    /// slot until the hash is done: cancelling them cannot start more hashes at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_verifications_keep_their_slot() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        let slots = ARGON2_SLOTS.available_permits();
        let calls: Vec<_> = (0..slots).map(|_| tokio::spawn(verify_password("x".into(), hash.clone()))).collect();
        // Every slot taken, then every caller cancelled while its hash runs.
        while ARGON2_SLOTS.available_permits() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        for c in &calls {
            c.abort();
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        assert_eq!(ARGON2_SLOTS.available_permits(), 0, "the running hashes still hold their slots");
        // They come back when the hashes finish.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while ARGON2_SLOTS.available_permits() < slots {
            assert!(std::time::Instant::now() < deadline);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    fn peak_rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn tokens_are_typed_and_signed() {
        let k = AuthKeys::new(b"0123456789abcdef0123456789abcdef");
        let pair = k.issue(7, "alice", Role::Viewer, 3);
        let c = k.verify_access(&pair.access_token).unwrap();
        assert_eq!((c.user_id(), c.role, c.ver), (7, Role::Viewer, 3));
        let r = k.verify_refresh(&pair.refresh_token).unwrap();
        assert!(c.jti.len() >= 16 && r.jti.len() >= 16 && c.jti != r.jti, "every token has its own id");
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
