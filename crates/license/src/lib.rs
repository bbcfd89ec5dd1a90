//! License validation for MarchProxy's enterprise features.
//!
//! Three ways to an answer, in this order:
//! 1. `RELEASE_MODE=false`: tier `development`, every feature, no limits.
//! 2. `LICENSE_FILE`: an Ed25519-signed license document, verified offline against a
//!    public key (air-gapped installs).
//! 3. `LICENSE_KEY` (format `PENG-XXXX-XXXX-XXXX-XXXX-XXXX`, checked before any network
//!    call): validated against the license server (`POST /api/v2/validate`). The last good
//!    validation is kept in memory and persisted through [`ValidationStore`], so an
//!    Enterprise license survives a license-server outage for a grace period (72 h).
//!
//! Without any of these in release mode the tier is `community`.
//!
//! Architecture invariant: this crate knows nothing about SQL or the HTTP API; the control
//! plane supplies persistence through [`ValidationStore`]. The license key is never logged
//! or returned in full ([`key_hint`]).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// The enterprise features a license can grant.
pub const TRAFFIC_SHAPING: &str = "traffic_shaping";
pub const MULTI_CLOUD_ROUTING: &str = "multi_cloud_routing";
pub const DISTRIBUTED_TRACING: &str = "distributed_tracing";
pub const ENTERPRISE_FEATURES: [&str; 3] = [TRAFFIC_SHAPING, MULTI_CLOUD_ROUTING, DISTRIBUTED_TRACING];

/// Proxies per cluster allowed without an Enterprise license.
pub const COMMUNITY_MAX_PROXIES: u32 = 3;

/// Where Community users are sent.
pub const UPGRADE_URL: &str = "https://www.penguintech.io/marchproxy/pricing";

/// The public key that verifies offline license files when `LICENSE_PUBLIC_KEY` is not set.
pub const DEFAULT_PUBLIC_KEY_B64: &str = "ZYdf6fvR09tayqWnq2ZSAyBtZ+5A8+qmIIGBh/n4RnM=";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Development,
    Community,
    Enterprise,
}

/// Where the current answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Release mode is off.
    Development,
    /// Release mode, no key and no file.
    None,
    /// A live answer from the license server.
    LicenseServer,
    /// The license server is unreachable; the last good validation is used within the grace period.
    GraceCache,
    /// A signed offline license file.
    OfflineFile,
    /// The key or file was rejected locally (bad format, bad signature, expired).
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Limits {
    /// Proxies per cluster; `null` means unlimited.
    pub max_proxies: Option<u32>,
}

/// The license as the rest of the system sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LicenseStatus {
    pub tier: Tier,
    pub valid: bool,
    pub features: Vec<String>,
    pub limits: Limits,
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<DateTime<Utc>>,
    pub source: Source,
    /// The key with all but its last group masked.
    pub key_hint: Option<String>,
    #[schema(value_type = Option<String>)]
    pub last_validated_at: Option<DateTime<Utc>>,
    pub message: Option<String>,
    pub release_mode: bool,
}

impl LicenseStatus {
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    fn development() -> Self {
        Self {
            tier: Tier::Development,
            valid: true,
            features: ENTERPRISE_FEATURES.iter().map(|s| s.to_string()).collect(),
            limits: Limits { max_proxies: None },
            expires_at: None,
            source: Source::Development,
            key_hint: None,
            last_validated_at: None,
            message: Some("development mode (RELEASE_MODE=false): all features enabled".into()),
            release_mode: false,
        }
    }

    fn community(source: Source, key_hint: Option<String>, message: impl Into<String>) -> Self {
        Self {
            tier: Tier::Community,
            valid: false,
            features: vec![],
            limits: Limits { max_proxies: Some(COMMUNITY_MAX_PROXIES) },
            expires_at: None,
            source,
            key_hint,
            last_validated_at: None,
            message: Some(message.into()),
            release_mode: true,
        }
    }
}

/// Clock used for expiry and grace decisions; tests substitute their own.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How to validate.
#[derive(Clone)]
pub struct LicenseSettings {
    pub release_mode: bool,
    pub license_key: Option<String>,
    pub license_server_url: String,
    pub license_file: Option<PathBuf>,
    /// Base64 Ed25519 public key for offline files (default [`DEFAULT_PUBLIC_KEY_B64`]).
    pub public_key_b64: Option<String>,
    /// How long a last good validation keeps an Enterprise license alive during an outage.
    pub grace: Duration,
    /// How often the license is re-validated in the background.
    pub refresh_interval: Duration,
    pub http_timeout: Duration,
    pub clock: Clock,
}

impl std::fmt::Debug for LicenseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenseSettings")
            .field("release_mode", &self.release_mode)
            .field("license_key", &self.license_key.as_deref().map(key_hint))
            .field("license_server_url", &self.license_server_url)
            .field("license_file", &self.license_file)
            .field("grace", &self.grace)
            .finish()
    }
}

impl LicenseSettings {
    pub fn new(release_mode: bool, license_key: Option<String>, license_server_url: String) -> Self {
        Self {
            release_mode,
            license_key: license_key.filter(|k| !k.trim().is_empty()),
            license_server_url,
            license_file: None,
            public_key_b64: None,
            grace: Duration::from_secs(72 * 3600),
            refresh_interval: Duration::from_secs(3600),
            http_timeout: Duration::from_secs(10),
            clock: Arc::new(Utc::now),
        }
    }
}

/// A validation the license server granted, as persisted for the grace period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersistedValidation {
    /// SHA-256 of the key, hex: the key itself is never stored.
    pub key_hash: String,
    pub response: ServerResponse,
    pub validated_at: DateTime<Utc>,
}

/// Persistence of the last good validation (the control plane stores it in its database,
/// so every replica and every restart sees it).
pub trait ValidationStore: Send + Sync {
    fn load(&self, key_hash: &str) -> BoxFuture<'_, Option<PersistedValidation>>;
    fn save(&self, v: PersistedValidation) -> BoxFuture<'_, ()>;
}

/// A store that keeps nothing (tests, and when persistence is not wanted).
pub struct NoStore;

impl ValidationStore for NoStore {
    fn load(&self, _: &str) -> BoxFuture<'_, Option<PersistedValidation>> {
        Box::pin(async { None })
    }
    fn save(&self, _: PersistedValidation) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// The license server's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerResponse {
    pub valid: bool,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub features: Vec<FeatureEntry>,
    #[serde(default)]
    pub limits: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Features come as plain names or as `{name, entitled}` objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FeatureEntry {
    Name(String),
    Object {
        name: String,
        #[serde(default = "yes")]
        entitled: bool,
    },
}

fn yes() -> bool {
    true
}

impl FeatureEntry {
    fn entitled_name(&self) -> Option<&str> {
        match self {
            FeatureEntry::Name(n) => Some(n),
            FeatureEntry::Object { name, entitled: true } => Some(name),
            FeatureEntry::Object { .. } => None,
        }
    }
}

/// Mask a key for display: `PENG-****-****-****-****-ABCD`.
pub fn key_hint(key: &str) -> String {
    let groups: Vec<&str> = key.trim().split('-').collect();
    if groups.len() == 6 { format!("PENG-****-****-****-****-{}", groups[5]) } else { "****".into() }
}

/// `PENG-` followed by five groups of four upper-case letters or digits.
pub fn key_format_ok(key: &str) -> bool {
    let groups: Vec<&str> = key.split('-').collect();
    groups.len() == 6
        && groups[0] == "PENG"
        && groups[1..].iter().all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
}

fn key_hash(key: &str) -> String {
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

/// An offline license document: base64 of the JSON payload, and its Ed25519 signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfflineLicense {
    pub payload: String,
    pub signature: String,
}

/// What an offline license grants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfflinePayload {
    pub product: String,
    pub licensee: String,
    pub tier: String,
    pub features: Vec<String>,
    #[serde(default)]
    pub max_proxies: Option<u32>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Sign an offline license (used by the `marchproxy license sign` tool and tests).
pub fn sign_offline(payload: &OfflinePayload, signing_key: &ed25519_dalek::SigningKey) -> OfflineLicense {
    use ed25519_dalek::Signer;
    let json = serde_json::to_vec(payload).expect("payload serializes");
    let sig = signing_key.sign(&json);
    let b64 = base64::engine::general_purpose::STANDARD;
    OfflineLicense { payload: b64.encode(&json), signature: b64.encode(sig.to_bytes()) }
}

fn verify_offline(doc: &OfflineLicense, public_key_b64: &str) -> Result<OfflinePayload, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let pk_bytes: [u8; 32] = b64
        .decode(public_key_b64.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or("the license public key is not 32 bytes of base64")?;
    let pk = ed25519_dalek::VerifyingKey::from_bytes(&pk_bytes).map_err(|_| "the license public key is invalid")?;
    let payload = b64.decode(doc.payload.trim()).map_err(|_| "license payload is not base64")?;
    let sig_bytes: [u8; 64] = b64
        .decode(doc.signature.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or("license signature is not 64 bytes of base64")?;
    let sig = ed25519_dalek::Signature::from_bytes(&sig_bytes);
    pk.verify_strict(&payload, &sig).map_err(|_| "license signature does not verify")?;
    let p: OfflinePayload =
        serde_json::from_slice(&payload).map_err(|e| format!("license payload is malformed: {e}"))?;
    if p.product != "marchproxy" {
        return Err(format!("license is for product `{}`, not marchproxy", p.product));
    }
    Ok(p)
}

/// Holds the current license status and re-validates it.
pub struct LicenseManager {
    settings: LicenseSettings,
    store: Arc<dyn ValidationStore>,
    http: reqwest::Client,
    status: RwLock<Arc<LicenseStatus>>,
    /// Last good server validation, for the grace period.
    last_good: Mutex<Option<PersistedValidation>>,
}

impl LicenseManager {
    /// Build the manager and run the first validation.
    pub async fn new(settings: LicenseSettings, store: Arc<dyn ValidationStore>) -> Arc<Self> {
        let http = reqwest::Client::builder().timeout(settings.http_timeout).build().expect("http client builds");
        let initial = if settings.release_mode {
            LicenseStatus::community(Source::None, None, "validating")
        } else {
            LicenseStatus::development()
        };
        let m = Arc::new(Self {
            settings,
            store,
            http,
            status: RwLock::new(Arc::new(initial)),
            last_good: Mutex::new(None),
        });
        m.refresh().await;
        m
    }

    /// The current status (no I/O).
    pub fn status(&self) -> Arc<LicenseStatus> {
        self.status.read().expect("license lock").clone()
    }

    pub fn has_feature(&self, feature: &str) -> bool {
        self.status().has_feature(feature)
    }

    /// Proxies allowed per cluster (`None`: unlimited).
    pub fn max_proxies(&self) -> Option<u32> {
        self.status().limits.max_proxies
    }

    /// Re-validate now and return the new status.
    pub async fn refresh(&self) -> Arc<LicenseStatus> {
        let status = Arc::new(self.evaluate().await);
        let before = self.status();
        if before.tier != status.tier || before.source != status.source {
            tracing::info!(tier = ?status.tier, source = ?status.source, message = ?status.message, "license status");
        }
        *self.status.write().expect("license lock") = status.clone();
        status
    }

    /// Re-validate every `refresh_interval` until the task is dropped.
    pub fn spawn_refresher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(me.settings.refresh_interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                me.refresh().await;
            }
        })
    }

    async fn evaluate(&self) -> LicenseStatus {
        let s = &self.settings;
        if !s.release_mode {
            return LicenseStatus::development();
        }
        let now = (s.clock)();
        if let Some(path) = &s.license_file {
            return self.evaluate_file(path, now);
        }
        let Some(key) = s.license_key.as_deref().map(str::trim) else {
            return LicenseStatus::community(Source::None, None, "no LICENSE_KEY configured: Community edition");
        };
        let hint = Some(key_hint(key));
        if !key_format_ok(key) {
            return LicenseStatus::community(
                Source::Invalid,
                hint,
                "LICENSE_KEY has an invalid format (expected PENG-XXXX-XXXX-XXXX-XXXX-XXXX)",
            );
        }
        match self.ask_server(key).await {
            Ok(resp) => {
                if !resp.valid {
                    self.forget_validation(key, resp, now).await;
                    return LicenseStatus::community(
                        Source::LicenseServer,
                        hint,
                        "the license server rejected this license key",
                    );
                }
                let v = PersistedValidation { key_hash: key_hash(key), response: resp, validated_at: now };
                *self.last_good.lock().expect("license lock") = Some(v.clone());
                self.store.save(v.clone()).await;
                self.status_from_response(&v, Source::LicenseServer, hint, now, None)
            }
            Err(ServerError::Rejected(msg)) => {
                let tombstone =
                    ServerResponse { valid: false, tier: None, features: vec![], limits: None, expires_at: None };
                self.forget_validation(key, tombstone, now).await;
                LicenseStatus::community(Source::LicenseServer, hint, msg)
            }
            Err(ServerError::Unreachable(err)) => {
                tracing::warn!(error = %err, "license server unreachable");
                let mem = self.last_good.lock().expect("license lock").clone();
                let cached = match mem {
                    Some(v) => Some(v),
                    None => self.store.load(&key_hash(key)).await,
                };
                match cached {
                    // Only a good validation carries a grace period: a rejection recorded
                    // since then (valid: false) keeps the key rejected through an outage.
                    Some(v) if v.key_hash == key_hash(key) && v.response.valid => {
                        let grace_end = v.validated_at + chrono::Duration::from_std(s.grace).unwrap_or_default();
                        if now <= grace_end {
                            *self.last_good.lock().expect("license lock") = Some(v.clone());
                            let msg = format!(
                                "license server unreachable ({err}); using the validation of {} until {}",
                                v.validated_at.to_rfc3339(),
                                grace_end.to_rfc3339()
                            );
                            self.status_from_response(&v, Source::GraceCache, hint, now, Some(msg))
                        } else {
                            LicenseStatus::community(
                                Source::GraceCache,
                                hint,
                                format!(
                                    "license server unreachable ({err}) and the grace period ended at {}",
                                    grace_end.to_rfc3339()
                                ),
                            )
                        }
                    }
                    _ => LicenseStatus::community(
                        Source::LicenseServer,
                        hint,
                        format!("license server unreachable ({err}) and no earlier validation is known"),
                    ),
                }
            }
        }
    }

    /// An explicit rejection replaces the last good validation, in memory and in the store,
    /// so a later license-server outage cannot restore the tier from the grace cache.
    async fn forget_validation(&self, key: &str, response: ServerResponse, now: DateTime<Utc>) {
        let v = PersistedValidation { key_hash: key_hash(key), response, validated_at: now };
        *self.last_good.lock().expect("license lock") = None;
        self.store.save(v).await;
    }

    fn status_from_response(
        &self,
        v: &PersistedValidation,
        source: Source,
        hint: Option<String>,
        now: DateTime<Utc>,
        message: Option<String>,
    ) -> LicenseStatus {
        let r = &v.response;
        if let Some(exp) = r.expires_at.filter(|exp| *exp < now) {
            let mut st = LicenseStatus::community(source, hint, format!("license expired at {}", exp.to_rfc3339()));
            st.expires_at = Some(exp);
            return st;
        }
        let tier = r.tier.as_deref().unwrap_or("enterprise").to_ascii_lowercase();
        let features: Vec<String> = r
            .features
            .iter()
            .filter_map(FeatureEntry::entitled_name)
            .filter(|f| ENTERPRISE_FEATURES.contains(f))
            .map(str::to_string)
            .collect();
        if tier == "community" {
            let mut st = LicenseStatus::community(source, hint, "the license is a Community license");
            st.valid = true;
            st.last_validated_at = Some(v.validated_at);
            return st;
        }
        let max_proxies = r
            .limits
            .as_ref()
            .and_then(|l| l.get("max_proxies"))
            .and_then(|m| m.as_u64())
            .map(|m| m.min(u32::MAX as u64) as u32);
        LicenseStatus {
            tier: Tier::Enterprise,
            valid: true,
            features,
            limits: Limits { max_proxies },
            expires_at: r.expires_at,
            source,
            key_hint: hint,
            last_validated_at: Some(v.validated_at),
            message,
            release_mode: true,
        }
    }

    fn evaluate_file(&self, path: &std::path::Path, now: DateTime<Utc>) -> LicenseStatus {
        let invalid = |msg: String| LicenseStatus::community(Source::Invalid, None, msg);
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return invalid(format!("cannot read LICENSE_FILE {}: {e}", path.display())),
        };
        let doc: OfflineLicense = match serde_json::from_str(&text) {
            Ok(d) => d,
            Err(e) => return invalid(format!("LICENSE_FILE is not a license document: {e}")),
        };
        let pk = self.settings.public_key_b64.as_deref().unwrap_or(DEFAULT_PUBLIC_KEY_B64);
        let p = match verify_offline(&doc, pk) {
            Ok(p) => p,
            Err(e) => return invalid(e),
        };
        if p.expires_at < now {
            return invalid(format!("offline license expired at {}", p.expires_at.to_rfc3339()));
        }
        let resp = ServerResponse {
            valid: true,
            tier: Some(p.tier.clone()),
            features: p.features.iter().cloned().map(FeatureEntry::Name).collect(),
            limits: p.max_proxies.map(|m| {
                let mut map = serde_json::Map::new();
                map.insert("max_proxies".into(), m.into());
                map
            }),
            expires_at: Some(p.expires_at),
        };
        let v = PersistedValidation { key_hash: String::new(), response: resp, validated_at: now };
        let mut st = self.status_from_response(
            &v,
            Source::OfflineFile,
            None,
            now,
            Some(format!("offline license for {}", p.licensee)),
        );
        st.last_validated_at = Some(now);
        st
    }

    async fn ask_server(&self, key: &str) -> Result<ServerResponse, ServerError> {
        let url = format!("{}/api/v2/validate", self.settings.license_server_url.trim_end_matches('/'));
        let resp = self
            .http
            .post(&url)
            .bearer_auth(key)
            .json(&serde_json::json!({"product": "marchproxy"}))
            .send()
            .await
            .map_err(|e| ServerError::Unreachable(without_url(&e)))?;
        let status = resp.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(ServerError::Unreachable(format!("license server answered HTTP {}", status.as_u16())));
        }
        if status == reqwest::StatusCode::UNAUTHORIZED
            || status == reqwest::StatusCode::FORBIDDEN
            || status == reqwest::StatusCode::NOT_FOUND
        {
            return Err(ServerError::Rejected(format!(
                "the license server rejected this license key (HTTP {})",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(ServerError::Unreachable(format!("license server answered HTTP {}", status.as_u16())));
        }
        resp.json::<ServerResponse>().await.map_err(|e| {
            ServerError::Unreachable(format!("license server sent an unreadable answer: {}", without_url(&e)))
        })
    }
}

enum ServerError {
    /// Network failure, timeout or 5xx: the grace period applies.
    Unreachable(String),
    /// The server said no.
    Rejected(String),
}

fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "license server");
    }
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests;
