//! Shared state of the API server.

use std::ops::Deref;
use std::sync::Arc;

use marchproxy_license::LicenseManager;
use marchproxy_outbound::{HttpClient, OutboundPolicy};

use crate::auth::{AuthKeys, LoginPolicy};
use crate::config::ServeConfig;
use crate::db::Db;
use crate::span_ingest::SpanIngest;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub auth: AuthKeys,
    pub login_policy: LoginPolicy,
    pub license: Arc<LicenseManager>,
    pub config: ServeConfig,
    /// Where outbound connections may go (`MARCHPROXY_OUTBOUND_*`): health probes, span
    /// search backends, test spans, the license server.
    pub outbound: OutboundPolicy,
    /// Outbound HTTP under `outbound` (health probes, span search backends).
    pub http: HttpClient,
    /// Flips to true at shutdown so long-polls return at once.
    pub closing: tokio::sync::watch::Sender<bool>,
    /// Set first at shutdown: `/readyz` answers 503 so load balancers stop sending new
    /// requests while the ones in progress finish.
    pub draining: std::sync::atomic::AtomicBool,
    /// The OTLP receiver's bounded queue in front of the span store.
    pub ingest: SpanIngest,
    /// Counters for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// One encoded snapshot per cluster version, for all the cluster's proxies.
    pub snapshots: crate::snapshot_cache::SnapshotCache,
    /// Health probes in flight at once (`MARCHPROXY_HEALTH_MAX_CONCURRENT_PROBES`).
    pub probe_slots: tokio::sync::Semaphore,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        AppState(Arc::new(inner))
    }

    /// The license gate: [`Unlicensed`] (a 403 with upgrade information) unless the
    /// feature is licensed.
    pub fn require(&self, feature: &'static str) -> Result<(), Unlicensed> {
        if self.license.has_feature(feature) { Ok(()) } else { Err(Unlicensed { feature }) }
    }
}

/// An enterprise feature the license does not include.
#[derive(Debug, Clone, Copy)]
pub struct Unlicensed {
    pub feature: &'static str,
}
