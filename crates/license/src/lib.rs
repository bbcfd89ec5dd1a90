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
//! Layout: this file holds the vocabulary (features, tiers, [`LicenseStatus`],
//! [`LicenseSettings`], the [`ValidationStore`] trait, the license server's answer, key
//! helpers); [`LicenseManager`] (`manager.rs`) evaluates and refreshes; `offline.rs` signs and
//! verifies offline licenses.
//!
//! Architecture invariant: this crate knows nothing about SQL or the HTTP API; the control
//! plane supplies persistence through [`ValidationStore`]. The license key is never logged
//! or returned in full ([`key_hint`]).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
    /// Where the license client may connect (the operator's outbound policy; it follows
    /// no redirects, so the key is only ever sent to `license_server_url`).
    pub outbound: marchproxy_outbound::OutboundPolicy,
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
            outbound: marchproxy_outbound::OutboundPolicy::default(),
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

mod manager;
mod offline;

pub use manager::LicenseManager;
pub use offline::{OfflineLicense, OfflinePayload, sign_offline};

#[cfg(test)]
mod tests;
