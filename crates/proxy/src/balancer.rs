//! Endpoint selection: the five algorithms over active, healthy, undrained endpoints,
//! with per-endpoint state (peak-EWMA latency, in-flight count, passive ejection,
//! traffic counters) that survives configuration reloads.

use std::borrow::Borrow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use marchproxy_model::route_table::{CloudProvider, RoutingAlgorithm};

/// Decay constant of the latency estimate.
const EWMA_TAU: Duration = Duration::from_secs(5);
/// A failed request counts as this slow, so fast errors never attract traffic.
const FAILURE_PENALTY_NS: f64 = 1e9;
/// Estimate for an endpoint with no probe RTT and no traffic yet.
const DEFAULT_LATENCY_NS: f64 = 10e6;
/// Consecutive failures (connect errors or 5xx) that eject an endpoint.
pub const EJECT_AFTER_FAILURES: u32 = 3;
/// How long a passively ejected endpoint stays out.
pub const EJECT_FOR: Duration = Duration::from_secs(10);

/// Counters of measured traffic, drained by the reporter.
#[derive(Default, Debug)]
pub struct TrafficCounters {
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub requests: AtomicU64,
    pub errors: AtomicU64,
}

/// Counts one request (or tunnel) in flight to an endpoint until dropped. `S` is a
/// borrow for a request's own attempt and an `Arc` for a tunnel that outlives it.
pub struct InFlight<S: Borrow<EndpointState>>(S);

impl<S: Borrow<EndpointState>> InFlight<S> {
    pub fn new(state: S) -> Self {
        state.borrow().inflight.fetch_add(1, Ordering::Relaxed);
        InFlight(state)
    }
}

impl<S: Borrow<EndpointState>> Drop for InFlight<S> {
    fn drop(&mut self) {
        self.0.borrow().inflight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Per-endpoint runtime state, shared across snapshots of the same (table, endpoint).
#[derive(Debug)]
pub struct EndpointState {
    pub inflight: AtomicU32,
    /// (estimate in ns, time of the last update)
    ewma: Mutex<(f64, Option<Instant>)>,
    pub consecutive_failures: AtomicU32,
    /// Epoch ms until which the endpoint is passively ejected.
    pub ejected_until_ms: AtomicI64,
    /// The control plane's verdict in the last snapshot (to notice a flip to healthy).
    probe_healthy: std::sync::atomic::AtomicBool,
    /// What ALPN chose on the last new connection to an endpoint that negotiates its
    /// protocol (`https://` without `upstream_protocol`): [`ALPN_UNKNOWN`], [`ALPN_H1`] or
    /// [`ALPN_H2`], or [`ALPN_NEGOTIATING`] while a request finds out.
    alpn: std::sync::atomic::AtomicU8,
    /// Wakes the requests waiting for a negotiation ([`EndpointState::alpn_h2`]).
    alpn_settled: tokio::sync::Notify,
    pub counters: TrafficCounters,
}

const ALPN_UNKNOWN: u8 = 0;
const ALPN_H1: u8 = 1;
const ALPN_H2: u8 = 2;
const ALPN_NEGOTIATING: u8 = 3;

impl Default for EndpointState {
    fn default() -> Self {
        Self {
            inflight: AtomicU32::new(0),
            ewma: Mutex::new((0.0, None)),
            consecutive_failures: AtomicU32::new(0),
            ejected_until_ms: AtomicI64::new(0),
            probe_healthy: std::sync::atomic::AtomicBool::new(true),
            alpn: std::sync::atomic::AtomicU8::new(ALPN_UNKNOWN),
            alpn_settled: tokio::sync::Notify::new(),
            counters: TrafficCounters::default(),
        }
    }
}

impl EndpointState {
    /// The protocol ALPN chose for this endpoint: Some(true) for h2, None when not known
    /// (no connection yet, or the last connect failed).
    pub fn negotiated_h2(&self) -> Option<bool> {
        match self.alpn.load(Ordering::Relaxed) {
            ALPN_H1 => Some(false),
            ALPN_H2 => Some(true),
            _ => None,
        }
    }

    /// Remember what ALPN chose (None: negotiate again on the next connection).
    pub fn set_negotiated_h2(&self, h2: Option<bool>) {
        let v = match h2 {
            None => ALPN_UNKNOWN,
            Some(false) => ALPN_H1,
            Some(true) => ALPN_H2,
        };
        self.alpn.store(v, Ordering::Release);
    }

    /// Whether ALPN chooses h2 for this endpoint, negotiated once: the request that finds
    /// it unknown runs `negotiate` (a new connection, which it leaves in its pool), and the
    /// requests that arrive meanwhile wait for that outcome instead of each opening and
    /// handshaking a connection of its own (a burst of first requests to an h2 endpoint
    /// then shares one connection per worker). When that negotiation fails, or its request
    /// is cancelled, the waiting requests try on their own, at once and side by side (so a
    /// dead endpoint costs each of them one connect timeout, not one per request before it).
    pub async fn alpn_h2<F, E>(&self, negotiate: impl FnOnce() -> F) -> Result<bool, E>
    where
        F: std::future::Future<Output = Result<bool, E>>,
    {
        /// Settles the negotiation also when the negotiating request is dropped mid-way.
        struct Negotiating<'a>(&'a EndpointState);
        impl Drop for Negotiating<'_> {
            fn drop(&mut self) {
                if self.0.alpn.load(Ordering::Acquire) == ALPN_NEGOTIATING {
                    self.0.set_negotiated_h2(None);
                }
                self.0.alpn_settled.notify_waiters();
            }
        }
        // Who negotiates: this request for everyone (holding the guard), or, after the
        // negotiation it waited for did not settle the protocol, for itself alone.
        let mut waited = false;
        let lead = loop {
            // Registered before the state is read: a negotiation that settles in between
            // still wakes this request.
            let settled = self.alpn_settled.notified();
            let mut settled = std::pin::pin!(settled);
            settled.as_mut().enable();
            match self.alpn.load(Ordering::Acquire) {
                ALPN_H1 => return Ok(false),
                ALPN_H2 => return Ok(true),
                ALPN_NEGOTIATING => {
                    settled.await;
                    waited = true;
                }
                _ if waited => break None,
                _ => {
                    if self
                        .alpn
                        .compare_exchange(ALPN_UNKNOWN, ALPN_NEGOTIATING, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        break Some(Negotiating(self));
                    }
                }
            }
        };
        let outcome = negotiate().await;
        // The lead settles the state either way; a request alone records only an answer.
        if lead.is_some() || outcome.is_ok() {
            self.set_negotiated_h2(outcome.as_ref().ok().copied());
        }
        drop(lead);
        outcome
    }

    /// Seed the estimate from a probe RTT if no request has been measured yet.
    pub fn seed(&self, rtt_ms: Option<f64>) {
        let mut e = self.ewma.lock().expect("ewma lock");
        if e.1.is_none() {
            e.0 = rtt_ms.map(|ms| ms * 1e6).unwrap_or(DEFAULT_LATENCY_NS);
        }
    }

    /// Take the control plane's probe verdict. A flip to healthy means `healthy_threshold`
    /// good probes: the endpoint is re-admitted at once (failback), ending a passive ejection.
    pub fn set_probe_healthy(&self, healthy: bool) {
        let before = self.probe_healthy.swap(healthy, Ordering::Relaxed);
        if healthy && !before {
            self.ejected_until_ms.store(0, Ordering::Relaxed);
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
    }

    /// Peak-EWMA: a slower sample takes over at once, faster ones decay in.
    pub fn observe(&self, latency: Duration, ok: bool) {
        let sample = if ok { latency.as_nanos() as f64 } else { (latency.as_nanos() as f64).max(FAILURE_PENALTY_NS) };
        let now = Instant::now();
        let mut e = self.ewma.lock().expect("ewma lock");
        e.0 = match e.1 {
            _ if sample > e.0 => sample,
            None => sample,
            Some(last) => {
                let w = (-(now.duration_since(last).as_secs_f64()) / EWMA_TAU.as_secs_f64()).exp();
                e.0 * w + sample * (1.0 - w)
            }
        };
        e.1 = Some(now);
    }

    /// Load-aware cost: latency estimate × (in-flight + 1).
    pub fn cost(&self) -> f64 {
        let est = self.ewma.lock().expect("ewma lock").0;
        let est = if est > 0.0 { est } else { DEFAULT_LATENCY_NS };
        est * (self.inflight.load(Ordering::Relaxed) as f64 + 1.0)
    }

    pub fn latency_estimate_ms(&self) -> f64 {
        self.ewma.lock().expect("ewma lock").0 / 1e6
    }

    /// Passive health: count a result; eject after [`EJECT_AFTER_FAILURES`] in a row.
    /// Returns true when this result ejected the endpoint.
    pub fn record_result(&self, failed: bool, now_ms: i64) -> bool {
        if !failed {
            self.consecutive_failures.store(0, Ordering::Relaxed);
            return false;
        }
        let n = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= EJECT_AFTER_FAILURES {
            self.consecutive_failures.store(0, Ordering::Relaxed);
            self.ejected_until_ms.store(now_ms + EJECT_FOR.as_millis() as i64, Ordering::Relaxed);
            return true;
        }
        false
    }

    pub fn ejected(&self, now_ms: i64) -> bool {
        self.ejected_until_ms.load(Ordering::Relaxed) > now_ms
    }
}

/// What selection needs to know about one endpoint of one snapshot.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub is_active: bool,
    pub healthy: bool,
    pub drained_until_ms: Option<i64>,
    pub weight: u32,
    pub cost_per_gb: Option<f64>,
    pub provider: CloudProvider,
    /// Distance from this proxy, when both locations are known.
    pub distance_km: Option<f64>,
}

/// Selection state of one route table.
pub struct Selector {
    pub algorithm: RoutingAlgorithm,
    pub auto_failover: bool,
    /// Endpoint indices in failover order.
    order: Vec<usize>,
    /// Smooth weighted round-robin current weights.
    wrr: Mutex<Vec<i64>>,
}

impl Selector {
    pub fn new(algorithm: RoutingAlgorithm, auto_failover: bool, order: Vec<usize>, n: usize) -> Self {
        Self { algorithm, auto_failover, order, wrr: Mutex::new(vec![0; n]) }
    }

    /// Pick an endpoint, or `None` when no endpoint may take traffic.
    pub fn pick<S: Borrow<EndpointState>>(
        &self,
        eps: &[Candidate],
        states: &[S],
        exclude: Option<usize>,
        now_ms: i64,
    ) -> Option<usize> {
        let mut cands: smallvec_lite::Indices = self.candidates(eps, states, exclude, now_ms, true);
        if cands.is_empty() && self.auto_failover {
            // Every healthy endpoint is passively ejected: try them anyway rather than fail.
            cands = self.candidates(eps, states, exclude, now_ms, false);
        }
        if cands.is_empty() {
            return None;
        }
        let c = cands.as_slice();
        if c.len() == 1 {
            return Some(c[0]);
        }
        Some(match self.algorithm {
            RoutingAlgorithm::Failover => c[0],
            RoutingAlgorithm::Geo => *c
                .iter()
                .min_by(|&&a, &&b| {
                    let da = eps[a].distance_km.unwrap_or(f64::INFINITY);
                    let db = eps[b].distance_km.unwrap_or(f64::INFINITY);
                    da.partial_cmp(&db).unwrap_or(std::cmp::Ordering::Equal)
                })
                .expect("non-empty"),
            RoutingAlgorithm::Cost => {
                let cheapest =
                    c.iter().map(|&i| eps[i].cost_per_gb.unwrap_or(f64::INFINITY)).fold(f64::INFINITY, f64::min);
                let tied: Vec<usize> = c
                    .iter()
                    .copied()
                    .filter(|&i| eps[i].cost_per_gb.unwrap_or(f64::INFINITY) <= cheapest + 1e-12)
                    .collect();
                p2c(&tied, states)
            }
            RoutingAlgorithm::Latency => p2c(c, states),
            RoutingAlgorithm::WeightedRr => {
                let mut cur = self.wrr.lock().expect("wrr lock");
                let total: i64 = c.iter().map(|&i| eps[i].weight as i64).sum();
                let mut best = c[0];
                for &i in c {
                    cur[i] += eps[i].weight as i64;
                    if cur[i] > cur[best] {
                        best = i;
                    }
                }
                cur[best] -= total;
                best
            }
        })
    }

    fn candidates<S: Borrow<EndpointState>>(
        &self,
        eps: &[Candidate],
        states: &[S],
        exclude: Option<usize>,
        now_ms: i64,
        respect_ejection: bool,
    ) -> smallvec_lite::Indices {
        let mut out = smallvec_lite::Indices::default();
        for &i in &self.order {
            let e = &eps[i];
            if !e.is_active || Some(i) == exclude || e.drained_until_ms.is_some_and(|u| u > now_ms) {
                continue;
            }
            if self.auto_failover && (!e.healthy || (respect_ejection && states[i].borrow().ejected(now_ms))) {
                continue;
            }
            out.push(i);
        }
        out
    }
}

/// Power of two choices by load-aware latency cost.
fn p2c<S: Borrow<EndpointState>>(c: &[usize], states: &[S]) -> usize {
    if c.len() == 1 {
        return c[0];
    }
    let a = rand::random_range(0..c.len());
    let mut b = rand::random_range(0..c.len() - 1);
    if b >= a {
        b += 1;
    }
    let (a, b) = (c[a], c[b]);
    if states[a].borrow().cost() <= states[b].borrow().cost() { a } else { b }
}

/// A tiny inline vector of indices (route tables hold at most 20 endpoints).
mod smallvec_lite {
    #[derive(Default)]
    pub struct Indices {
        len: usize,
        buf: [usize; 20],
    }
    impl Indices {
        pub fn push(&mut self, i: usize) {
            if self.len < self.buf.len() {
                self.buf[self.len] = i;
                self.len += 1;
            }
        }
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }
        pub fn as_slice(&self) -> &[usize] {
            &self.buf[..self.len]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` requests find the protocol unknown at once; the first one's negotiation is held
    /// until `release` says, then answers `outcome`. Returns the answers and how many
    /// negotiations ran.
    async fn first_requests(
        state: &EndpointState,
        n: usize,
        outcome: Result<bool, ()>,
    ) -> (Vec<Result<bool, ()>>, usize) {
        let runs = std::cell::Cell::new(0);
        let (release, held) = tokio::sync::watch::channel(false);
        let requests = (0..n).map(|_| {
            let mut held = held.clone();
            let runs = &runs;
            state.alpn_h2(move || async move {
                runs.set(runs.get() + 1);
                let _ = held.wait_for(|go| *go).await;
                outcome
            })
        });
        let all = futures::future::join_all(requests);
        let open = async {
            tokio::task::yield_now().await;
            let _ = release.send(true);
        };
        let (answers, ()) = tokio::join!(all, open);
        (answers, runs.get())
    }

    #[tokio::test]
    async fn concurrent_first_requests_negotiate_alpn_once() {
        let state = EndpointState::default();
        let (answers, runs) = first_requests(&state, 8, Ok(true)).await;
        assert_eq!((answers, runs), (vec![Ok(true); 8], 1));
        assert_eq!(state.negotiated_h2(), Some(true));
        // Known from now on: no negotiation at all.
        let (answers, runs) = first_requests(&state, 2, Ok(false)).await;
        assert_eq!((answers, runs), (vec![Ok(true); 2], 0));
    }

    #[tokio::test]
    async fn after_a_failed_negotiation_the_waiting_requests_try_on_their_own() {
        let state = EndpointState::default();
        let (answers, runs) = first_requests(&state, 4, Err(())).await;
        assert_eq!((answers, runs), (vec![Err(()); 4], 4));
        assert_eq!(state.negotiated_h2(), None, "negotiated again on the next request");
    }

    #[tokio::test]
    async fn a_cancelled_negotiation_lets_a_waiting_request_negotiate() {
        let state = EndpointState::default();
        // The first request's negotiation never ends; it is dropped after the second
        // request started waiting.
        let mut first = Box::pin(state.alpn_h2(std::future::pending::<Result<bool, ()>>));
        assert!(futures::poll!(first.as_mut()).is_pending());
        let mut second = Box::pin(state.alpn_h2(|| async { Ok::<_, ()>(false) }));
        assert!(futures::poll!(second.as_mut()).is_pending(), "waits for the first");
        drop(first);
        assert_eq!(second.await, Ok(false));
        assert_eq!(state.negotiated_h2(), Some(false));
    }

    fn cand(weight: u32, cost: f64, dist: f64) -> Candidate {
        Candidate {
            is_active: true,
            healthy: true,
            drained_until_ms: None,
            weight,
            cost_per_gb: Some(cost),
            provider: CloudProvider::Aws,
            distance_km: Some(dist),
        }
    }

    fn states(n: usize) -> Vec<EndpointState> {
        (0..n).map(|_| EndpointState::default()).collect()
    }

    #[test]
    fn weighted_rr_is_exact_over_10000_picks() {
        let eps = vec![cand(50, 0.1, 0.0), cand(30, 0.1, 0.0), cand(20, 0.1, 0.0)];
        let st = states(3);
        let refs: Vec<&EndpointState> = st.iter().collect();
        let s = Selector::new(RoutingAlgorithm::WeightedRr, true, vec![0, 1, 2], 3);
        let mut counts = [0usize; 3];
        for _ in 0..10_000 {
            counts[s.pick(&eps, &refs, None, 0).unwrap()] += 1;
        }
        assert_eq!(counts, [5000, 3000, 2000]);
        // Smooth: the heavy endpoint never gets long bursts.
        let mut seq = vec![];
        for _ in 0..10 {
            seq.push(s.pick(&eps, &refs, None, 0).unwrap());
        }
        assert!(seq.windows(3).all(|w| !(w[0] == w[1] && w[1] == w[2])), "{seq:?}");
    }

    #[test]
    fn failover_cost_and_geo_choose_as_documented() {
        let mut eps = vec![cand(1, 0.09, 8000.0), cand(1, 0.02, 100.0), cand(1, 0.05, 50.0)];
        let st = states(3);
        let refs: Vec<&EndpointState> = st.iter().collect();
        let order = vec![0, 1, 2];
        let f = Selector::new(RoutingAlgorithm::Failover, true, order.clone(), 3);
        assert_eq!(f.pick(&eps, &refs, None, 0), Some(0));
        eps[0].healthy = false;
        assert_eq!(f.pick(&eps, &refs, None, 0), Some(1), "next priority takes over");
        let manual = Selector::new(RoutingAlgorithm::Failover, false, order.clone(), 3);
        assert_eq!(manual.pick(&eps, &refs, None, 0), Some(0), "no automatic failover");
        eps[0].healthy = true;
        let c = Selector::new(RoutingAlgorithm::Cost, true, order.clone(), 3);
        assert_eq!(c.pick(&eps, &refs, None, 0), Some(1));
        let g = Selector::new(RoutingAlgorithm::Geo, true, order.clone(), 3);
        assert_eq!(g.pick(&eps, &refs, None, 0), Some(2));
        eps[2].drained_until_ms = Some(1000);
        assert_eq!(g.pick(&eps, &refs, None, 0), Some(1), "drained endpoints are skipped");
        assert_eq!(g.pick(&eps, &refs, None, 2000), Some(2), "drains expire");
        assert_eq!(g.pick(&eps, &refs, Some(2), 2000), Some(1), "retry excludes the failed endpoint");
    }

    #[test]
    fn latency_prefers_fast_endpoints_and_penalises_errors() {
        let eps = vec![cand(1, 0.1, 0.0), cand(1, 0.1, 0.0)];
        let st = states(2);
        st[0].observe(Duration::from_millis(1), true);
        st[1].observe(Duration::from_millis(50), true);
        let refs: Vec<&EndpointState> = st.iter().collect();
        let s = Selector::new(RoutingAlgorithm::Latency, true, vec![0, 1], 2);
        let fast = (0..1000).filter(|_| s.pick(&eps, &refs, None, 0) == Some(0)).count();
        assert_eq!(fast, 1000, "with two endpoints P2C always compares both");
        // The fast endpoint starts failing fast: its errors count as slow.
        st[0].observe(Duration::from_micros(100), false);
        assert!(st[0].cost() > st[1].cost());
    }

    #[test]
    fn passive_ejection_after_consecutive_failures_then_panic_mode() {
        let eps = vec![cand(1, 0.1, 0.0), cand(1, 0.1, 0.0)];
        let st = states(2);
        assert!(!st[0].record_result(true, 0));
        assert!(!st[0].record_result(false, 0), "a success resets the count");
        assert!(!st[0].record_result(true, 0));
        assert!(!st[0].record_result(true, 0));
        assert!(st[0].record_result(true, 0));
        let refs: Vec<&EndpointState> = st.iter().collect();
        let s = Selector::new(RoutingAlgorithm::Failover, true, vec![0, 1], 2);
        assert_eq!(s.pick(&eps, &refs, None, 1), Some(1));
        assert_eq!(s.pick(&eps, &refs, None, 20_000), Some(0), "re-admitted after the ejection time");
        assert!(st[1].record_result(true, 0) || st[1].record_result(true, 0) || st[1].record_result(true, 0));
        assert!(s.pick(&eps, &refs, None, 1).is_some(), "all ejected: use them anyway");
    }
}
