//! Configuration sync: register with the control plane, then long-poll for snapshots.
//! A snapshot that fails validation or compilation is rejected whole and the last good
//! runtime keeps serving; when the control plane is down the proxy keeps serving and
//! reconnects with capped exponential backoff.

use std::sync::Arc;
use std::time::Duration;

use marchproxy_model::report::{ProxyRegistration, Registered};
use marchproxy_model::snapshot::ClusterSnapshot;
use reqwest::StatusCode;

use crate::Proxy;
use crate::control_plane::unavailable;
use crate::runtime::Runtime;

const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Why registration stopped for good.
#[derive(Debug, thiserror::Error)]
pub enum FatalSync {
    #[error("the control plane rejected the cluster API key")]
    BadKey,
    #[error("{0}")]
    Refused(String),
}

impl Proxy {
    /// Register, retrying transient failures; fatal answers (bad key, proxy limit) end it.
    pub async fn register(&self) -> Result<Registered, FatalSync> {
        let mut backoff = BACKOFF_MIN;
        loop {
            let body = ProxyRegistration {
                name: self.name.clone(),
                version: env!("CARGO_PKG_VERSION").into(),
                address: Some(self.listen_addr.to_string()),
            };
            let (replica, base) = self.control_plane.current();
            let res = self
                .http
                .post(format!("{base}/api/v1/proxy/register"))
                .bearer_auth(&self.api_key)
                .json(&body)
                .send()
                .await;
            if res.as_ref().map_or(true, |r| unavailable(r.status())) {
                self.control_plane.failed(replica);
            }
            match res {
                Ok(r) if r.status().is_success() => match r.json::<Registered>().await {
                    Ok(reg) => return Ok(reg),
                    Err(e) => tracing::warn!(error = %e, "unreadable registration answer"),
                },
                Ok(r) if r.status() == StatusCode::UNAUTHORIZED => return Err(FatalSync::BadKey),
                Ok(r) if r.status() == StatusCode::FORBIDDEN => {
                    let v: serde_json::Value = r.json().await.unwrap_or_default();
                    return Err(FatalSync::Refused(v["detail"].as_str().unwrap_or("registration refused").to_string()));
                }
                Ok(r) => tracing::warn!(status = %r.status(), "registration failed; retrying"),
                Err(e) => tracing::warn!(error = %e, "control plane unreachable; retrying registration"),
            }
            tokio::time::sleep(jitter(backoff)).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// Long-poll for snapshots forever.
    pub async fn sync_loop(self: Arc<Self>) {
        let mut backoff = BACKOFF_MIN;
        // The last version the control plane sent, applied or rejected: a rejected snapshot is
        // not asked for again until the configuration changes.
        let mut seen: Option<i64> = None;
        // Failed polls in a row: each replica is tried once before backing off.
        let mut failures = 0usize;
        loop {
            let have = seen.or_else(|| self.runtime.load().as_ref().map(|r| r.version));
            let (replica, base) = self.control_plane.current();
            let mut url = format!("{base}/api/v1/proxy/config?wait_seconds=25&proxy_id={}", self.proxy_id());
            if let Some(v) = have {
                url.push_str(&format!("&version={v}"));
            }
            let res = self.http.get(&url).bearer_auth(&self.api_key).timeout(Duration::from_secs(40)).send().await;
            if res.as_ref().map_or(true, |r| unavailable(r.status())) {
                self.control_plane.failed(replica);
            }
            let ok = match res {
                Ok(r) if r.status() == StatusCode::NOT_MODIFIED => true,
                Ok(r) if r.status().is_success() => match r.json::<ClusterSnapshot>().await {
                    Ok(snap) => {
                        seen = Some(snap.version);
                        self.apply(&snap)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "rejected an unreadable snapshot; keeping the last good configuration");
                        self.metrics.rejected_snapshots.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        false
                    }
                },
                Ok(r) => {
                    tracing::warn!(status = %r.status(), "config poll failed");
                    false
                }
                Err(e) => {
                    tracing::warn!(error = %e, "control plane unreachable; serving the last good configuration");
                    false
                }
            };
            if ok {
                backoff = BACKOFF_MIN;
                failures = 0;
            } else {
                failures += 1;
                // Another replica not yet tried in this round: ask it at once.
                if failures < self.control_plane.len() {
                    continue;
                }
                failures = 0;
                tokio::time::sleep(jitter(backoff)).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }

    /// Validate, compile and swap in a snapshot. Returns whether it was applied.
    pub fn apply(self: &Arc<Self>, snap: &ClusterSnapshot) -> bool {
        match Runtime::build(snap, &self.registry, &self.shaping, self.location, crate::now_ms()) {
            Ok(rt) => {
                let rt = Arc::new(rt);
                self.shaping.apply(&snap.qos_policies);
                self.tracing.apply(&snap.tracing_configs);
                self.tcp_listeners.reconcile(self, &rt);
                self.runtime.store(Some(rt));
                self.metrics.config_version.store(snap.version, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(
                    version = snap.version,
                    services = snap.services.len(),
                    route_tables = snap.route_tables.len(),
                    "applied configuration"
                );
                self.report_now.notify_one();
                true
            }
            Err(e) => {
                tracing::error!(version = snap.version, error = %e, "rejected snapshot; keeping the last good configuration");
                self.metrics.rejected_snapshots.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                false
            }
        }
    }
}

fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.8 + rand::random::<f64>() * 0.4)
}
