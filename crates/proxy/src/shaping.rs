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
//!   every [`STARVATION_GRANTS`] grants, so it is never starved.
//! - Chunks of one connection are granted one at a time, in order.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use marchproxy_model::qos::{BYTES_PER_MBIT, Priority};
use tokio::sync::Notify;

/// Largest chunk handed to a bucket at once (frames are split beyond it).
pub const MAX_CHUNK: usize = 16 * 1024;
/// A waiting lower class gets at least one grant in this many.
pub const STARVATION_GRANTS: u32 = 10;
/// Headroom (fraction of the link's burst) each class leaves for the classes above it.
const RESERVE: [f64; 4] = [0.0, 0.15, 0.3, 0.45];

/// A token bucket with fractional refill and debt.
///
/// Chunks are at most `chunk` bytes: 10 ms of the rate (at least 1 KiB), and never more
/// than the burst or [`MAX_CHUNK`], so shaping is smooth at low rates. The bucket holds at most
/// `max(burst - chunk, TIMER_SLACK × rate)` tokens, and a chunk is granted whenever the
/// bucket is not in debt, so after idling at most `burst` passes at once (plus, at high
/// rates, the few milliseconds of refill a late timer wake-up would otherwise lose).
#[derive(Debug)]
pub struct TokenBucket {
    /// Bytes per second.
    rate: f64,
    /// Most tokens held: burst − chunk.
    ceiling: f64,
    /// Largest chunk granted at once.
    chunk: usize,
    tokens: f64,
    last: Instant,
}

/// Refill a waiting bucket must be able to hold so late wake-ups lose nothing.
const TIMER_SLACK: f64 = 0.005;

fn chunk_for(rate: f64, burst: f64) -> usize {
    ((rate * 0.01) as usize).max(1024).min(burst as usize).clamp(1, MAX_CHUNK)
}

impl TokenBucket {
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        let chunk = chunk_for(rate, burst);
        let ceiling = (burst - chunk as f64).max(rate * TIMER_SLACK);
        Self { rate, ceiling, chunk, tokens: (burst - chunk as f64).max(0.0), last: now }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.ceiling);
        self.last = now;
    }

    /// The largest chunk to ask for at once.
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// Change rate and burst in place (live policy updates keep the current fill).
    pub fn reconfigure(&mut self, rate: f64, burst: f64, now: Instant) {
        self.refill(now);
        self.rate = rate;
        self.chunk = chunk_for(rate, burst);
        self.ceiling = (burst - self.chunk as f64).max(rate * TIMER_SLACK);
        self.tokens = self.tokens.min(self.ceiling);
    }

    /// Take `n` bytes now, or say how long until the bucket is out of debt. A chunk is
    /// granted whenever the bucket is not in debt and may leave it in debt; the next chunk
    /// waits for the debt to be repaid. Timer overshoot therefore never loses tokens (the
    /// bucket is below its cap while waiting), so the long-run rate is exact.
    pub fn try_take(&mut self, n: f64, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 0.0 {
            self.tokens -= n;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(-self.tokens / self.rate))
        }
    }
}

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
    pub stats: PolicyStats,
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
            stats: PolicyStats::default(),
        };
        s.update(params);
        s
    }

    /// Apply new parameters; buckets keep their fill where they continue to exist.
    pub fn update(&self, p: ShapeParams) {
        let now = Instant::now();
        for (slot, rate) in [(&self.ingress, p.ingress_bps), (&self.egress, p.egress_bps)] {
            let mut b = slot.lock().expect("bucket lock");
            *b = match (b.take(), rate) {
                (_, None) => None,
                (Some(mut old), Some(r)) => {
                    old.reconfigure(r, p.burst_bytes, now);
                    Some(old)
                }
                (None, Some(r)) => Some(TokenBucket::new(r, p.burst_bytes, now)),
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
        *self.params.lock().expect("params lock") = p;
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

    fn try_bucket(&self, flow: Flow, n: usize) -> Result<(), Duration> {
        let (slot, i) = match flow {
            Flow::Ingress => (&self.ingress, 0),
            Flow::Egress => (&self.egress, 1),
        };
        if !self.has_bucket[i].load(Ordering::Relaxed) {
            return Ok(());
        }
        match slot.lock().expect("bucket lock").as_mut() {
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

/// The proxy-wide link: capacity shared by every shaped flow, scheduled by class.
pub struct Link {
    rate: f64,
    capacity: f64,
    state: Mutex<LinkState>,
    notify: Notify,
    next_id: AtomicU64,
}

struct Waiter {
    id: u64,
    /// Virtual start time (bytes / weight units).
    vstart: f64,
}

struct LinkState {
    bucket: TokenBucket,
    waiting: [Vec<Waiter>; 4],
    /// Virtual finish time of each policy's last grant.
    policy_vtime: HashMap<i64, f64>,
    /// Virtual time of each class (start of the last grant).
    class_vtime: [f64; 4],
    /// Grants to higher classes while this class waited.
    skipped: [u32; 4],
}

impl LinkState {
    /// (class, index) of the waiter to serve next.
    fn next(&self) -> Option<(usize, usize)> {
        let top = (0..4).find(|&c| !self.waiting[c].is_empty())?;
        let class = (top + 1..4)
            .rev()
            .find(|&c| !self.waiting[c].is_empty() && self.skipped[c] + 1 >= STARVATION_GRANTS)
            .unwrap_or(top);
        let idx = self.waiting[class]
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| {
                a.vstart.partial_cmp(&b.vstart).unwrap_or(std::cmp::Ordering::Equal).then(a.id.cmp(&b.id))
            })
            .map(|(i, _)| i)?;
        Some((class, idx))
    }

    fn remove(&mut self, id: u64) {
        for q in &mut self.waiting {
            q.retain(|w| w.id != id);
        }
    }
}

/// Removes a waiter whose chunk was abandoned (client gone), so it blocks nobody.
struct WaitGuard<'a> {
    link: &'a Link,
    id: u64,
    done: bool,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.link.state.lock().expect("link lock").remove(self.id);
            self.link.notify.notify_waiters();
        }
    }
}

impl Link {
    pub fn new(mbps: f64) -> Self {
        let rate = mbps * BYTES_PER_MBIT as f64;
        // Burst: 20 ms of the link, at least 8 chunks.
        let capacity = (rate * 0.02).max((8 * MAX_CHUNK) as f64);
        Link {
            rate,
            capacity,
            state: Mutex::new(LinkState {
                bucket: TokenBucket::new(rate, capacity, Instant::now()),
                waiting: Default::default(),
                policy_vtime: HashMap::new(),
                class_vtime: [0.0; 4],
                skipped: [0; 4],
            }),
            notify: Notify::new(),
            next_id: AtomicU64::new(1),
        }
    }

    pub fn rate_bytes(&self) -> f64 {
        self.rate
    }

    /// Wait for the link to grant `n` bytes to `policy` in `class`. Returns whether the
    /// grant had to wait (a timer or another flow's turn).
    pub async fn acquire(&self, class: Priority, policy: i64, weight: u32, n: usize) -> bool {
        let c = class.index();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut guard = WaitGuard { link: self, id, done: false };
        let (mut registered, mut waited) = (false, false);
        loop {
            let notified = self.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            let wait = {
                let mut s = self.state.lock().expect("link lock");
                if !registered {
                    let vstart = s.policy_vtime.get(&policy).copied().unwrap_or(0.0).max(s.class_vtime[c]);
                    s.waiting[c].push(Waiter { id, vstart });
                    registered = true;
                }
                let now = Instant::now();
                s.bucket.refill(now);
                match s.next() {
                    Some((nc, ni)) if s.waiting[nc][ni].id == id => {
                        let headroom = self.capacity * RESERVE[c];
                        if s.bucket.tokens >= headroom {
                            s.bucket.tokens -= n as f64;
                            let w = s.waiting[c].remove(ni);
                            let finish = w.vstart + n as f64 / weight.max(1) as f64;
                            s.policy_vtime.insert(policy, finish);
                            s.class_vtime[c] = w.vstart;
                            for l in c + 1..4 {
                                if !s.waiting[l].is_empty() {
                                    s.skipped[l] += 1;
                                }
                            }
                            s.skipped[c] = 0;
                            guard.done = true;
                            drop(s);
                            self.notify.notify_waiters();
                            return waited;
                        }
                        Some(Duration::from_secs_f64((headroom - s.bucket.tokens) / self.rate))
                    }
                    _ => None,
                }
            };
            waited = true;
            match wait {
                Some(d) => {
                    tokio::select! {
                        _ = tokio::time::sleep(d) => {}
                        _ = &mut notified => {}
                    }
                }
                None => notified.await,
            }
        }
    }
}

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
}

impl Shaping {
    pub fn new(link_mbps: Option<f64>) -> Self {
        Self {
            services: Mutex::new(HashMap::new()),
            policies: Mutex::new(HashMap::new()),
            link: link_mbps.filter(|m| *m > 0.0).map(|m| std::sync::Arc::new(Link::new(m))),
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
        let mut sorted: Vec<&marchproxy_model::qos::QosPolicy> = policies.iter().collect();
        sorted.sort_by_key(|p| p.id);
        for p in sorted {
            seen.insert(p.id);
            let params = params_of(p);
            let shaper = match map.get(&p.id) {
                Some(s) => {
                    s.update(params);
                    s.clone()
                }
                None => {
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

fn params_of(p: &marchproxy_model::qos::QosPolicy) -> ShapeParams {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refills_fractionally_without_drift() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1000.0, 100.0, t0);
        assert!(b.try_take(100.0, t0).is_ok(), "the burst passes at once");
        assert!(b.try_take(1.0, t0).is_err(), "and then the bucket is in debt");
        // 1 ms adds exactly 1 token; no rounding loss.
        let mut t = t0;
        let mut got = 0.0f64;
        for _ in 0..1000 {
            t += Duration::from_micros(1500);
            while b.try_take(1.0, t).is_ok() {
                got += 1.0;
            }
        }
        // 1.5 s of refill minus the 100 bytes of debt the burst chunk left.
        assert!((got - 1400.0).abs() <= 1.0, "{got}");
        let wait = b.try_take(10.0, t).unwrap_err();
        assert!(wait <= Duration::from_millis(10));
    }

    #[test]
    fn late_wakeups_do_not_lose_tokens() {
        // 1000 B/s, 100 B chunks, every wake-up 3 ms late (timer granularity): still 1000 B/s.
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1000.0, 100.0, t0);
        let mut t = t0;
        let mut sent = 0.0f64;
        while t < t0 + Duration::from_secs(10) {
            match b.try_take(100.0, t) {
                Ok(()) => sent += 100.0,
                Err(w) => t += w + Duration::from_millis(3),
            }
        }
        let rate = (sent - 100.0) / 10.0;
        assert!((rate - 1000.0).abs() <= 20.0, "rate {rate}");
    }

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

    fn params(prio: Priority, weight: u32) -> ShapeParams {
        ShapeParams {
            enabled: true,
            ingress_bps: None,
            egress_bps: None,
            burst_bytes: 65536.0,
            priority: prio,
            weight,
            sla_ms: prio.default_sla_ms(),
            tos: 0,
        }
    }

    #[tokio::test]
    async fn link_splits_a_class_by_weight_and_serves_higher_classes_first() {
        let link = std::sync::Arc::new(Link::new(80.0)); // 10 MB/s
        let a = std::sync::Arc::new(PolicyShaper::new(1, params(Priority::P2, 1)));
        let b = std::sync::Arc::new(PolicyShaper::new(2, params(Priority::P2, 3)));
        let counts = std::sync::Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = vec![];
        for (i, s) in [a.clone(), b.clone()].into_iter().enumerate() {
            for _ in 0..2 {
                let (link, s, counts, stop) = (link.clone(), s.clone(), counts.clone(), stop.clone());
                tasks.push(tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        acquire(&s, Some(&link), Flow::Egress, MAX_CHUNK).await;
                        counts[i].fetch_add(MAX_CHUNK as u64, Ordering::Relaxed);
                    }
                }));
            }
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let (x, y) = (counts[0].load(Ordering::Relaxed) as f64, counts[1].load(Ordering::Relaxed) as f64);
        let share = y / (x + y);
        assert!((share - 0.75).abs() < 0.05, "weight 3 of 4 got {share:.3}");
        let total_rate = (x + y) / 1.5;
        assert!(total_rate < link.rate_bytes() * 1.15, "link rate respected: {total_rate}");
    }
}
