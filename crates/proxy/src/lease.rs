//! Shares of cluster-wide bandwidth limits (docs/adr/0006-cluster-wide-bandwidth-limits.md).
//!
//! A policy with scope `cluster` limits its service across every proxy of the cluster. Each
//! interval (`MARCHPROXY_QOS_LEASE_INTERVAL_MS`, 500 ms) this loop tells the control plane
//! what the proxy used of each such limit and whether it was throttled, and sets its token
//! buckets to the share it is granted. The request path never waits for this: chunks take
//! tokens from local buckets; only their rate changes here.
//!
//! A grant holds for three intervals, counted from when the lease was sent (the control
//! plane counts the claim from when it granted it, later, so the proxy never holds a share
//! the control plane has already given away). A separate timer ([`Proxy::lease_expiry_loop`])
//! notices an expired grant even while a lease hangs, and the proxy falls back to the limit
//! divided by the proxies that shared it at the last grant, and says so
//! (`marchproxy_qos_cluster_fallback`). Before its first grant a proxy enforces the whole
//! limit (it does not know how many proxies share it); the first lease is sent as soon as
//! the policy arrives, and while leases keep failing before any grant the fallback metric
//! says so too.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use marchproxy_model::report::{Direction, QosLeaseRequest, QosLeaseResponse};
use tokio::time::Instant;

use crate::Proxy;
use crate::shaping::Flow;

fn flow_of(d: Direction) -> Flow {
    match d {
        Direction::Ingress => Flow::Ingress,
        Direction::Egress => Flow::Egress,
    }
}

impl Proxy {
    pub async fn lease_loop(self: Arc<Self>) {
        let mut last = Instant::now();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.lease_interval) => {}
                _ = self.shaping.lease_now.notified() => {}
            }
            let now = Instant::now();
            let interval = now.duration_since(last);
            last = now;
            let policies: Vec<_> =
                self.shaping.policies().into_iter().filter(|s| s.is_enabled() && s.is_cluster()).collect();
            let demands: Vec<_> = policies
                .iter()
                .flat_map(|s| [Flow::Ingress, Flow::Egress].into_iter().filter_map(|f| s.demand(f, interval)))
                .collect();
            if demands.is_empty() {
                continue;
            }
            let sent_at = Instant::now();
            match self.lease(demands).await {
                Ok(answer) => {
                    self.shaping.lease_failing.store(0, Ordering::Relaxed);
                    let until = sent_at + Duration::from_millis(answer.expires_in_ms);
                    for g in answer.grants {
                        // A grant the proxy cannot enforce is ignored (the share expires).
                        let sane = g.rate_bps.is_finite()
                            && g.rate_bps > 0.0
                            && g.burst_bytes.is_finite()
                            && g.burst_bytes > 0.0;
                        if let Some(s) = policies.iter().find(|s| s.policy_id == g.policy_id).filter(|_| sane) {
                            s.grant(flow_of(g.direction), g.rate_bps, g.burst_bytes, g.proxies, until);
                        }
                    }
                }
                Err(e) => {
                    self.shaping.lease_failures.fetch_add(1, Ordering::Relaxed);
                    self.shaping.lease_failing.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(error = %e, "QoS lease failed; keeping the current shares until they expire");
                }
            }
        }
    }

    /// Every quarter interval: grants that expired turn into the fallback share, whether or
    /// not a lease is in flight.
    pub async fn lease_expiry_loop(self: Arc<Self>) {
        let mut on_fallback = false;
        let mut tick = tokio::time::interval(self.lease_interval / 4);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = Instant::now();
            let policies = self.shaping.policies();
            let fallback = policies.iter().filter(|s| s.is_cluster()).fold(false, |acc, s| s.refresh(now) | acc);
            if fallback != on_fallback {
                on_fallback = fallback;
                if fallback {
                    tracing::warn!(
                        "QoS leases expired: enforcing limit / proxies last seen until the control plane answers"
                    );
                } else {
                    tracing::info!("QoS leases renewed: enforcing the granted shares again");
                }
            }
        }
    }

    async fn lease(&self, demands: Vec<marchproxy_model::report::QosDemand>) -> anyhow::Result<QosLeaseResponse> {
        let (replica, base) = self.control_plane.current();
        let body =
            QosLeaseRequest { proxy_id: self.proxy_id(), interval_ms: self.lease_interval.as_millis() as u64, demands };
        let res = self
            .http
            .post(format!("{base}/api/v1/proxy/qos-lease"))
            .bearer_auth(&self.api_key)
            // An answer after two intervals is late (the next lease is due): give up on it.
            .timeout((self.lease_interval * 2).max(Duration::from_millis(200)))
            .json(&body)
            .send()
            .await;
        if res.as_ref().map_or(true, |r| crate::control_plane::unavailable(r.status())) {
            self.control_plane.failed(replica);
        }
        let res = res?;
        anyhow::ensure!(res.status().is_success(), "control plane answered {}", res.status());
        Ok(res.json().await?)
    }
}
