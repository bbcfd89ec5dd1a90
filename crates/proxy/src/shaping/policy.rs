//! The shaping state of one QoS policy: its parameters, its ingress and egress buckets, and
//! its counters (bytes passed and delayed, SLA violations, the delay histogram).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use marchproxy_model::qos::{BYTES_PER_MBIT, Priority};
use tokio::time::Instant;

use crate::shaping::bucket::{MAX_CHUNK, TokenBucket};

/// Fixed-bucket latency histogram (milliseconds) for p50/p99 of added delay.
#[derive(Debug)]
pub struct DelayHistogram {
    counts: [AtomicU64; DELAY_BOUNDS.len() + 1],
}

const DELAY_BOUNDS: [f64; 16] =
    [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0];

impl Default for DelayHistogram {
    fn default() -> Self {
        Self { counts: std::array::from_fn(|_| AtomicU64::new(0)) }
    }
}

impl DelayHistogram {
    pub fn record(&self, ms: f64) {
        let i = DELAY_BOUNDS.iter().position(|b| ms <= *b).unwrap_or(DELAY_BOUNDS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Upper bound of the bucket holding quantile `q`.
    pub fn quantile(&self, q: f64) -> f64 {
        let counts: Vec<u64> = self.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let want = (q * total as f64).ceil() as u64;
        let mut acc = 0;
        for (i, c) in counts.iter().enumerate() {
            acc += c;
            if acc >= want {
                return DELAY_BOUNDS.get(i).copied().unwrap_or(DELAY_BOUNDS[DELAY_BOUNDS.len() - 1] * 2.0);
            }
        }
        0.0
    }
}

/// Counters of one policy in this proxy.
#[derive(Debug, Default)]
pub struct PolicyStats {
    pub bytes_passed: AtomicU64,
    pub bytes_delayed: AtomicU64,
    pub sla_violations: AtomicU64,
    pub delay: DelayHistogram,
    /// bytes_passed at the last rate sample, and when.
    pub rate_mark: Mutex<(u64, Option<Instant>)>,
}

/// The shaping state of one policy, shared by all connections of its service and updated
/// in place when the policy changes.
#[derive(Debug)]
pub struct PolicyShaper {
    pub policy_id: i64,
    /// Mirrors `params.enabled`, read per chunk without locking.
    enabled: std::sync::atomic::AtomicBool,
    /// The chunk size of the current buckets, read per chunk without locking.
    chunk: std::sync::atomic::AtomicUsize,
    /// Whether an ingress / egress bucket exists (no lock taken when it does not).
    has_bucket: [std::sync::atomic::AtomicBool; 2],
    pub params: Mutex<ShapeParams>,
    ingress: Mutex<Option<TokenBucket>>,
    egress: Mutex<Option<TokenBucket>>,
    /// Scope `cluster`: this proxy's leased share per direction (ingress, egress).
    shares: Mutex<[Share; 2]>,
    pub stats: PolicyStats,
}

/// This proxy's share of a cluster-scope limit in one direction (lease.rs leases it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Share {
    /// The granted rate and burst (bytes per second, bytes) and until when they hold.
    pub grant: Option<(f64, f64, Instant)>,
    /// Proxies sharing the limit at the last grant; 0 before the first grant.
    pub proxies: u32,
}

impl Share {
    /// Rate and burst to enforce for a limit of `limit` bytes/s with `burst` bytes, and
    /// whether that is the fallback share (the last grant expired).
    pub fn effective(&self, limit: f64, burst: f64, now: Instant) -> (f64, f64, bool) {
        match self.grant {
            Some((rate, b, until)) if until > now => (rate.min(limit), b.min(burst), false),
            // Cut off from the control plane: an equal split among the proxies last seen.
            // Together they cannot exceed the limit, whatever the demand does meanwhile.
            Some(_) => {
                let n = self.proxies.max(1) as f64;
                (limit / n, burst / n, true)
            }
            // Not leased yet (the first lease is sent as soon as the policy arrives).
            None => (limit, burst, false),
        }
    }
}

/// What a policy currently asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeParams {
    pub enabled: bool,
    pub ingress_bps: Option<f64>,
    pub egress_bps: Option<f64>,
    pub burst_bytes: f64,
    pub priority: Priority,
    pub weight: u32,
    pub sla_ms: Option<u32>,
    /// IP TOS byte (DSCP << 2).
    pub tos: u8,
    /// Scope `cluster`: the limits are the cluster's, and this proxy enforces its leased share.
    pub cluster: bool,
}

impl ShapeParams {
    /// The limit in one direction, bytes per second.
    pub fn limit(&self, flow: Flow) -> Option<f64> {
        match flow {
            Flow::Ingress => self.ingress_bps,
            Flow::Egress => self.egress_bps,
        }
    }
}

/// Which direction a chunk flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Client → upstream.
    Ingress,
    /// Upstream → client.
    Egress,
}

impl PolicyShaper {
    pub fn new(policy_id: i64, params: ShapeParams) -> Self {
        let s = Self {
            policy_id,
            enabled: std::sync::atomic::AtomicBool::new(params.enabled),
            chunk: std::sync::atomic::AtomicUsize::new(MAX_CHUNK),
            has_bucket: Default::default(),
            params: Mutex::new(params.clone()),
            ingress: Mutex::new(None),
            egress: Mutex::new(None),
            shares: Mutex::new([Share::default(); 2]),
            stats: PolicyStats::default(),
        };
        s.update(params);
        s
    }

    /// Apply new parameters; buckets keep their fill where they continue to exist.
    pub fn update(&self, p: ShapeParams) {
        let shares = self.shares.lock().expect("shares lock");
        let now = Instant::now();
        let became_cluster = {
            let mut params = self.params.lock().expect("params lock");
            let was = params.cluster && params.enabled;
            *params = p;
            !was && params.cluster && params.enabled
        };
        self.rebuild(&shares, now);
        if became_cluster {
            // The first demand counts from now, not from when the buckets were made.
            for flow in [Flow::Ingress, Flow::Egress] {
                if let Some(b) = self.bucket(flow).lock().expect("bucket lock").as_mut() {
                    b.take_usage(now);
                }
            }
        }
    }

    /// Set the buckets from the parameters and, for scope `cluster`, the leased shares.
    /// Returns whether a direction runs on the fallback share. The caller holds the shares'
    /// lock, so rebuilds (a new snapshot, a grant) apply one after the other.
    fn rebuild(&self, shares: &[Share; 2], now: Instant) -> bool {
        let p = self.params.lock().expect("params lock").clone();
        let mut fallback = false;
        for (i, (slot, flow)) in [(&self.ingress, Flow::Ingress), (&self.egress, Flow::Egress)].into_iter().enumerate()
        {
            let target = p.limit(flow).map(|limit| {
                if !p.cluster {
                    return (limit, p.burst_bytes);
                }
                let (rate, burst, fb) = shares[i].effective(limit, p.burst_bytes, now);
                fallback |= fb;
                (rate, burst)
            });
            let mut b = slot.lock().expect("bucket lock");
            *b = match (b.take(), target) {
                (_, None) => None,
                (Some(mut old), Some((r, burst))) => {
                    old.reconfigure(r, burst, now);
                    Some(old)
                }
                (None, Some((r, burst))) => Some(TokenBucket::new(r, burst, now)),
            };
        }
        let mut chunk = MAX_CHUNK;
        for (i, slot) in [&self.ingress, &self.egress].into_iter().enumerate() {
            let b = slot.lock().expect("bucket lock");
            self.has_bucket[i].store(b.is_some(), Ordering::Relaxed);
            if let Some(b) = b.as_ref() {
                chunk = chunk.min(b.chunk());
            }
        }
        self.chunk.store(chunk, Ordering::Relaxed);
        self.enabled.store(p.enabled, Ordering::Relaxed);
        fallback
    }

    fn index(flow: Flow) -> usize {
        match flow {
            Flow::Ingress => 0,
            Flow::Egress => 1,
        }
    }

    fn bucket(&self, flow: Flow) -> &Mutex<Option<TokenBucket>> {
        match flow {
            Flow::Ingress => &self.ingress,
            Flow::Egress => &self.egress,
        }
    }

    /// Scope `cluster`, enabled, limited in `flow`: what this proxy used of its share over
    /// the last `interval` (and resets the count), as a lease demand.
    pub fn demand(&self, flow: Flow, interval: Duration) -> Option<marchproxy_model::report::QosDemand> {
        let p = self.params.lock().expect("params lock").clone();
        if !(p.enabled && p.cluster && p.limit(flow).is_some()) {
            return None;
        }
        let mut slot = self.bucket(flow).lock().expect("bucket lock");
        let b = slot.as_mut()?;
        let (used, denied, allowed) = b.take_usage(Instant::now());
        let used_bps = used / interval.as_secs_f64().max(0.001);
        Some(marchproxy_model::report::QosDemand {
            policy_id: self.policy_id,
            direction: match flow {
                Flow::Ingress => marchproxy_model::report::Direction::Ingress,
                Flow::Egress => marchproxy_model::report::Direction::Egress,
            },
            used_bps,
            // Waiting for tokens while using most of what the share allowed over the
            // interval (its rate may have changed within it): it would take more. A chunk
            // that waited once while the share was mostly idle asks for no more.
            throttled: denied && used >= 0.8 * allowed,
        })
    }

    /// A share granted by the control plane, until `until`.
    pub fn grant(&self, flow: Flow, rate: f64, burst: f64, proxies: u32, until: Instant) {
        let mut shares = self.shares.lock().expect("shares lock");
        shares[Self::index(flow)] = Share { grant: Some((rate, burst, until)), proxies: proxies.max(1) };
        self.rebuild(&shares, Instant::now());
    }

    /// Scope `cluster`: the shares now, and re-applies them (a grant that expired turns into
    /// the fallback share here). Returns whether a direction runs on the fallback share.
    pub fn refresh(&self, now: Instant) -> bool {
        let shares = self.shares.lock().expect("shares lock");
        self.rebuild(&shares, now)
    }

    /// The rate a direction's bucket enforces now (bytes per second), if it has one.
    pub fn rate(&self, flow: Flow) -> Option<f64> {
        self.bucket(flow).lock().expect("bucket lock").as_ref().map(TokenBucket::rate)
    }

    /// Scope `cluster` and no grant yet for a limited direction (the first lease has not
    /// been answered).
    pub fn ungranted(&self) -> bool {
        let p = self.params.lock().expect("params lock").clone();
        let shares = *self.shares.lock().expect("shares lock");
        p.cluster
            && [Flow::Ingress, Flow::Egress]
                .into_iter()
                .any(|f| p.limit(f).is_some() && shares[Self::index(f)].grant.is_none())
    }

    /// Whether a limited direction runs on the fallback share (its grant expired).
    pub fn on_fallback(&self, now: Instant) -> bool {
        let p = self.params.lock().expect("params lock").clone();
        let shares = *self.shares.lock().expect("shares lock");
        p.cluster
            && [Flow::Ingress, Flow::Egress]
                .into_iter()
                .any(|f| p.limit(f).is_some_and(|l| shares[Self::index(f)].effective(l, p.burst_bytes, now).2))
    }

    /// Proxies sharing the limit in `flow` at the last grant (0 before the first).
    pub fn proxies(&self, flow: Flow) -> u32 {
        self.shares.lock().expect("shares lock")[Self::index(flow)].proxies
    }

    pub fn is_cluster(&self) -> bool {
        self.params.lock().expect("params lock").cluster
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn params(&self) -> ShapeParams {
        self.params.lock().expect("params lock").clone()
    }

    /// The chunk size this policy's buckets grant at once.
    pub fn chunk_size(&self) -> usize {
        self.chunk.load(Ordering::Relaxed)
    }

    pub(crate) fn try_bucket(&self, flow: Flow, n: usize) -> Result<(), Duration> {
        if !self.has_bucket[Self::index(flow)].load(Ordering::Relaxed) {
            return Ok(());
        }
        match self.bucket(flow).lock().expect("bucket lock").as_mut() {
            Some(b) => b.try_take(n as f64, Instant::now()),
            None => Ok(()),
        }
    }

    /// Record a delivered chunk and the delay shaping added to it.
    pub fn record(&self, n: usize, delay: Duration, sla_ms: Option<u32>) {
        let ms = delay.as_secs_f64() * 1000.0;
        self.stats.bytes_passed.fetch_add(n as u64, Ordering::Relaxed);
        if !delay.is_zero() {
            self.stats.bytes_delayed.fetch_add(n as u64, Ordering::Relaxed);
        }
        self.stats.delay.record(ms);
        if sla_ms.is_some_and(|sla| ms > sla as f64) {
            self.stats.sla_violations.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The cumulative sample reported to the control plane.
    pub fn sample(&self) -> marchproxy_model::report::QosSample {
        let p = self.params();
        let mut delay_ms = [[0.0; 2]; 4];
        delay_ms[p.priority.index()] = [self.stats.delay.quantile(0.5), self.stats.delay.quantile(0.99)];
        marchproxy_model::report::QosSample {
            policy_id: self.policy_id,
            bytes_passed: self.stats.bytes_passed.load(Ordering::Relaxed),
            bytes_delayed: self.stats.bytes_delayed.load(Ordering::Relaxed),
            current_rate_bps: self.sample_rate(),
            delay_ms,
            sla_violations: self.stats.sla_violations.load(Ordering::Relaxed),
        }
    }

    /// Bytes per second since the previous call.
    pub fn sample_rate(&self) -> f64 {
        let now = Instant::now();
        let passed = self.stats.bytes_passed.load(Ordering::Relaxed);
        let mut m = self.stats.rate_mark.lock().expect("rate lock");
        let rate = match m.1 {
            Some(t) if now > t => (passed - m.0) as f64 / now.duration_since(t).as_secs_f64(),
            _ => 0.0,
        };
        *m = (passed, Some(now));
        rate
    }
}

pub(crate) fn params_of(p: &marchproxy_model::qos::QosPolicy) -> ShapeParams {
    let bw = &p.spec.bandwidth;
    let pc = &p.spec.priority_config;
    ShapeParams {
        enabled: p.spec.enabled,
        ingress_bps: bw.ingress_mbps.map(|m| m as f64 * BYTES_PER_MBIT as f64),
        egress_bps: bw.egress_mbps.map(|m| m as f64 * BYTES_PER_MBIT as f64),
        burst_bytes: bw.burst_size_kb as f64 * 1024.0,
        priority: pc.priority,
        weight: pc.weight,
        sla_ms: pc.sla_ms(),
        tos: pc.dscp_marking.tos(),
        cluster: bw.scope == marchproxy_model::qos::BandwidthScope::Cluster,
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn histogram_quantiles() {
        let h = DelayHistogram::default();
        for _ in 0..99 {
            h.record(0.01);
        }
        h.record(40.0);
        assert_eq!(h.quantile(0.5), 0.05);
        assert_eq!(h.quantile(0.999), 50.0);
    }
}
