//! The license manager: evaluates the license (development mode, offline file, or the
//! license server with a persisted last good answer and a grace period), holds the current
//! status, and re-validates it periodically.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::offline::{OfflineLicense, verify_offline};
use crate::{
    DEFAULT_PUBLIC_KEY_B64, ENTERPRISE_FEATURES, FeatureEntry, LicenseSettings, LicenseStatus, Limits,
    PersistedValidation, ServerResponse, Source, Tier, ValidationStore, key_format_ok, key_hash, key_hint,
};

/// How far in the future a stored validation may be dated (clock differences between
/// replicas) before it counts as tampered.
const MAX_CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// Holds the current license status and re-validates it.
pub struct LicenseManager {
    settings: LicenseSettings,
    store: Arc<dyn ValidationStore>,
    http: marchproxy_outbound::HttpClient,
    /// The current status; subscribers learn of every re-evaluation.
    status: tokio::sync::watch::Sender<Arc<LicenseStatus>>,
    /// Last good server validation, for the grace period.
    last_good: Mutex<Option<PersistedValidation>>,
}

impl LicenseManager {
    /// Build the manager and run the first validation.
    pub async fn new(settings: LicenseSettings, store: Arc<dyn ValidationStore>) -> Arc<Self> {
        let http = settings
            .outbound
            .http_client(reqwest::Client::builder().timeout(settings.http_timeout))
            .expect("http client builds");
        let initial = if settings.release_mode {
            LicenseStatus::community(Source::None, None, "validating")
        } else {
            LicenseStatus::development()
        };
        let m = Arc::new(Self {
            settings,
            store,
            http,
            status: tokio::sync::watch::channel(Arc::new(initial)).0,
            last_good: Mutex::new(None),
        });
        m.refresh().await;
        m
    }

    /// The current status (no I/O).
    pub fn status(&self) -> Arc<LicenseStatus> {
        self.status.borrow().clone()
    }

    /// Notified whenever the status is re-evaluated (compare what you need: features,
    /// tier...); the value seen on subscribing counts as seen.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<Arc<LicenseStatus>> {
        self.status.subscribe()
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
        self.status.send_replace(status.clone());
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
        // An empty LICENSE_KEY (compose passes unset variables as "") is no key.
        let Some(key) = s.license_key.as_deref().map(str::trim).filter(|k| !k.is_empty()) else {
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
                // The newer of this process's last good answer and the stored record: a
                // rejection another replica recorded since wins over an older good answer.
                let mem = self.last_good.lock().expect("license lock").clone();
                let stored = self.store.load(&key_hash(key)).await;
                let cached = match (mem, stored) {
                    (Some(m), Some(s)) if s.validated_at > m.validated_at => Some(s),
                    (Some(m), _) => Some(m),
                    (None, s) => s,
                };
                match cached {
                    // Only a good validation carries a grace period: a rejection recorded
                    // since then (valid: false) keeps the key rejected through an outage.
                    // A validation dated in the future is a tampered (or clock-skewed)
                    // record: it would stretch the grace period, so it counts as none.
                    Some(v) if v.validated_at > now + MAX_CLOCK_SKEW => LicenseStatus::community(
                        Source::GraceCache,
                        hint,
                        format!(
                            "license server unreachable ({err}) and the stored validation is dated in the future ({}); ignored",
                            v.validated_at.to_rfc3339()
                        ),
                    ),
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
        // Only a license that says `enterprise` is one: a missing, misspelt or unknown tier
        // (say a future `professional` this build does not know) is Community.
        let tier = r.tier.as_deref().unwrap_or("").trim().to_ascii_lowercase();
        let features: Vec<String> = r
            .features
            .iter()
            .filter_map(FeatureEntry::entitled_name)
            .filter(|f| ENTERPRISE_FEATURES.contains(f))
            .map(str::to_string)
            .collect();
        if tier != "enterprise" {
            let msg = match tier.as_str() {
                "community" => "the license is a Community license".to_string(),
                "" => "the license names no tier: Community edition".to_string(),
                other => format!("unknown license tier `{}`: Community edition", other.escape_debug()),
            };
            let mut st = LicenseStatus::community(source, hint, msg);
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
            .map_err(|e| ServerError::Unreachable(e.to_string()))?
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

/// A summary of a failed call that never names the URL ("timed out", "connection refused",
/// a refusal by the outbound policy…).
fn without_url(e: &reqwest::Error) -> String {
    marchproxy_outbound::summarize(e)
}
