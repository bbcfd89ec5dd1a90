//! Traffic shaping: per-policy token buckets (bandwidth limits with bursts) and the
//! proxy-wide link scheduler (priority classes P0–P3, weights, anti-starvation).
//!
//! Semantics (also in docs/QOS.md):
//! - `ingress_mbps` shapes client → upstream bytes and `egress_mbps` upstream → client
//!   bytes of the policy's service, across all its connections in this proxy
//!   (1 Mbps = 125,000 bytes/s). Buckets refill continuously with fractional tokens and
//!   hold at most `burst_size_kb` KiB.
//! - Shaping is backpressure: a body chunk is delivered only once the bucket (and the link)
//!   grant it, and the source is not read meanwhile. Nothing is buffered beyond one chunk
//!   (at most [`MAX_CHUNK`] bytes) and nothing is dropped.
//! - When `MARCHPROXY_LINK_MBPS` is set, every shaped chunk also needs a grant from the
//!   link: the highest class with waiting chunks is served first; within a class, policies
//!   share by `weight` (start-time fair queueing on bytes / weight); a lower class keeps
//!   headroom free for higher ones, and a waiting lower class is served at least once in
//!   every [`link::STARVATION_GRANTS`] grants, so it is never starved.
//! - Chunks of one connection are granted one at a time, in order.
//!
//! Layout: [`bucket`] (the token bucket), [`policy`] (one policy's buckets and counters),
//! [`link`] (the link scheduler); this module grants chunks ([`acquire`]) and keeps the
//! per-service slots that streams consult ([`Shaping`], [`ServiceSlot`]).

pub mod bucket;
pub mod link;
pub mod policy;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub use bucket::MAX_CHUNK;
pub use link::Link;
pub use policy::{Flow, PolicyShaper, ShapeParams};

/// Grant at once if nothing has to wait (no allocation, no timer): only without a link.
pub fn try_acquire_now(shaper: &PolicyShaper, link: Option<&Link>, flow: Flow, n: usize) -> bool {
    link.is_none() && shaper.try_bucket(flow, n).is_ok()
}

/// Grant `n` bytes of `flow` to a policy: its own bucket, then the link. Returns the delay added.
pub async fn acquire(shaper: &PolicyShaper, link: Option<&Link>, flow: Flow, n: usize) -> Duration {
    let start = Instant::now();
    let p = shaper.params();
    if !p.enabled {
        return Duration::ZERO;
    }
    let mut waited = false;
    loop {
        match shaper.try_bucket(flow, n) {
            Ok(()) => break,
            Err(wait) => {
                waited = true;
                tokio::time::sleep(wait).await;
            }
        }
    }
    if let Some(link) = link {
        waited |= link.acquire(p.priority, shaper.policy_id, p.weight, n).await;
    }
    // Only time spent waiting for tokens or a turn is shaping delay. A grant that never
    // waited took microseconds of work; when the OS preempts the thread in between, that
    // is the machine's delay, not the policy's (it made P0 look late on a busy host).
    let delay = start.elapsed();
    if !waited || delay < Duration::from_micros(50) { Duration::ZERO } else { delay }
}

/// A boxed acquisition in progress (only allocated when a chunk has to wait).
pub type Pending = Pin<Box<dyn std::future::Future<Output = Duration> + Send>>;

/// The policy currently governing one service, swapped in place on every snapshot so
/// streams already open follow creates, updates, enables and disables.
#[derive(Default)]
pub struct ServiceSlot {
    pub shaper: arc_swap::ArcSwapOption<PolicyShaper>,
}

impl ServiceSlot {
    /// The active shaper, if the service has an enabled policy.
    pub fn active(&self) -> Option<ActivePolicy> {
        let g = self.shaper.load();
        g.as_ref().is_some_and(|s| s.is_enabled()).then_some(ActivePolicy(g))
    }
}

/// A service's enabled policy, read through an arc-swap guard: no reference count is taken
/// (a shared atomic every worker would write per chunk). Hold it briefly; `Arc::clone` it
/// to keep it across an await.
pub struct ActivePolicy(arc_swap::Guard<Option<std::sync::Arc<PolicyShaper>>>);

impl std::ops::Deref for ActivePolicy {
    type Target = std::sync::Arc<PolicyShaper>;

    fn deref(&self) -> &Self::Target {
        // Made by `ServiceSlot::active` only, from a slot holding a policy.
        self.0.as_ref().expect("an active policy")
    }
}

/// Shapers by policy and slots by service, kept across snapshots.
pub struct Shaping {
    services: Mutex<HashMap<i64, std::sync::Arc<ServiceSlot>>>,
    policies: Mutex<HashMap<i64, std::sync::Arc<PolicyShaper>>>,
    pub link: Option<std::sync::Arc<Link>>,
    /// Woken when a cluster-scope policy appears or its limits change, so its share is
    /// leased at once (lease.rs).
    pub lease_now: tokio::sync::Notify,
    /// Leases that failed (control plane unreachable or refusing).
    pub lease_failures: std::sync::atomic::AtomicU64,
    /// Leases that failed since the last one that succeeded.
    pub lease_failing: std::sync::atomic::AtomicU64,
}

impl Shaping {
    pub fn new(link_mbps: Option<f64>) -> Self {
        Self {
            services: Mutex::new(HashMap::new()),
            policies: Mutex::new(HashMap::new()),
            link: link_mbps.filter(|m| *m > 0.0).map(|m| std::sync::Arc::new(Link::new(m))),
            lease_now: tokio::sync::Notify::new(),
            lease_failures: std::sync::atomic::AtomicU64::new(0),
            lease_failing: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn slot(&self, service_id: i64) -> std::sync::Arc<ServiceSlot> {
        self.services.lock().expect("slots lock").entry(service_id).or_default().clone()
    }

    pub fn policies(&self) -> Vec<std::sync::Arc<PolicyShaper>> {
        self.policies.lock().expect("policies lock").values().cloned().collect()
    }

    /// Make shapers match the snapshot's policies (one enabled policy per service: the lowest id).
    pub fn apply(&self, policies: &[marchproxy_model::qos::QosPolicy]) {
        let mut map = self.policies.lock().expect("policies lock");
        let mut by_service: HashMap<i64, std::sync::Arc<PolicyShaper>> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let mut lease = false;
        let mut sorted: Vec<&marchproxy_model::qos::QosPolicy> = policies.iter().collect();
        sorted.sort_by_key(|p| p.id);
        for p in sorted {
            seen.insert(p.id);
            let params = policy::params_of(p);
            let leased =
                |q: &ShapeParams| q.enabled && q.cluster && (q.ingress_bps.is_some() || q.egress_bps.is_some());
            let shaper = match map.get(&p.id) {
                Some(s) => {
                    let old = s.params();
                    lease |= leased(&params)
                        && (!leased(&old)
                            || old.ingress_bps != params.ingress_bps
                            || old.egress_bps != params.egress_bps);
                    s.update(params);
                    s.clone()
                }
                None => {
                    lease |= leased(&params);
                    let s = std::sync::Arc::new(PolicyShaper::new(p.id, params));
                    map.insert(p.id, s.clone());
                    s
                }
            };
            if p.spec.enabled {
                by_service.entry(p.spec.service_id).or_insert(shaper);
            }
        }
        map.retain(|id, s| {
            let keep = seen.contains(id);
            if !keep {
                let mut p = s.params();
                p.enabled = false;
                s.update(p);
            }
            keep
        });
        drop(map);
        if lease {
            self.lease_now.notify_one();
        }
        let mut slots = self.services.lock().expect("slots lock");
        for (sid, shaper) in &by_service {
            slots.entry(*sid).or_default().shaper.store(Some(shaper.clone()));
        }
        for (sid, slot) in slots.iter() {
            if !by_service.contains_key(sid) {
                slot.shaper.store(None);
            }
        }
    }
}
