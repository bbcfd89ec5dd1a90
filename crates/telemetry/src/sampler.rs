//! Head sampling: the six strategies of a tracing configuration, parent-based.
//!
//! What it does: decides per request, cheaply (a few atomics; a short uncontended lock only
//! for `rate_limit`), whether to record and export a trace:
//! - `always` / `never`;
//! - `probabilistic`: consistent by trace id, as OpenTelemetry's `TraceIdRatioBased`
//!   (the lower 8 bytes of the trace id, shifted right by one, compared to `rate * 2^63`);
//! - `rate_limit`: Jaeger's leaky bucket (credits per second = `max_traces_per_second`,
//!   balance capped at `max(1, rate)`, starting full);
//! - `error_only`: [`Decision::RecordOnly`] for every request; the caller records cheaply
//!   and calls [`Sampler::finish`] with the outcome, which upgrades failures to exported;
//! - `adaptive`: a trace-id-ratio probability re-computed every window (1 s) toward
//!   `target_tps / observed_request_rate`, with bounded steps (at most ×2 up, ÷2 down per
//!   window) clamped to [1e-4, 1], as Jaeger's adaptive sampling does. The target is
//!   `spec.target_tps()` (`max_traces_per_second`, default 10); the starting probability is
//!   `sampling_rate`.
//!
//! Parent-based: when the incoming context carries a sampling decision, it is followed
//! (sampled → export; not sampled → drop), except that `never` always drops and
//! `error_only` turns a "not sampled" parent into `RecordOnly` so failures are still kept.
//!
//! Time comes from an injectable [`Clock`] (monotonic nanoseconds) so tests are
//! deterministic. What it does not know: spans, headers and exporters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use marchproxy_model::tracing_config::{SamplingStrategy, TracingConfigSpec};

use crate::span::TraceId;

/// A monotonic clock in nanoseconds.
pub trait Clock: Send + Sync + 'static {
    fn now_nanos(&self) -> u64;
}

/// The real monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self { origin: Instant::now() }
    }
}

impl Clock for SystemClock {
    fn now_nanos(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }
}

/// A manually advanced clock for tests.
#[derive(Debug, Default)]
pub struct FakeClock {
    nanos: AtomicU64,
}

impl FakeClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
    pub fn advance(&self, d: Duration) {
        self.nanos.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }
    pub fn set_nanos(&self, n: u64) {
        self.nanos.store(n, Ordering::Relaxed);
    }
}

impl Clock for FakeClock {
    fn now_nanos(&self) -> u64 {
        self.nanos.load(Ordering::Relaxed)
    }
}

/// A sampling decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Do not record anything.
    Drop,
    /// Record cheaply; export only if [`Sampler::finish`] says so (error_only).
    RecordOnly,
    /// Record and export; propagate `sampled=1`.
    RecordAndSample,
}

impl Decision {
    pub fn is_recording(self) -> bool {
        !matches!(self, Self::Drop)
    }
    /// The flag to propagate downstream now (`RecordOnly` propagates "not sampled").
    pub fn is_sampled(self) -> bool {
        matches!(self, Self::RecordAndSample)
    }
}

/// Smallest probability the adaptive sampler goes down to.
pub const ADAPTIVE_MIN_PROBABILITY: f64 = 1e-4;
/// The adaptive sampler's adjustment window.
pub const ADAPTIVE_WINDOW: Duration = Duration::from_secs(1);

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

fn ratio_threshold(p: f64) -> u64 {
    if p >= 1.0 {
        1u64 << 63
    } else if p > 0.0 {
        (p * TWO_POW_63) as u64
    } else {
        0
    }
}

/// OpenTelemetry `TraceIdRatioBased`: lower 8 bytes big-endian, shifted right by one.
fn trace_id_below(trace_id: &TraceId, threshold: u64) -> bool {
    let mut low = [0u8; 8];
    low.copy_from_slice(&trace_id[8..]);
    (u64::from_be_bytes(low) >> 1) < threshold
}

#[derive(Debug)]
struct Bucket {
    balance: f64,
    last: u64,
}

#[derive(Debug)]
struct Adaptive {
    target_tps: f64,
    window_nanos: u64,
    prob_bits: AtomicU64,
    window_start: AtomicU64,
    seen: AtomicU64,
    /// Traces sampled in the current window: capped at twice the target, so a load step
    /// (or a start under load, at probability 1) cannot export a burst while the
    /// probability is still coming down.
    window_sampled: AtomicU64,
}

#[derive(Debug)]
enum Inner {
    Always,
    Never,
    Probabilistic { rate: f64, threshold: u64 },
    RateLimit { credits_per_sec: f64, max_balance: f64, bucket: Mutex<Bucket> },
    ErrorOnly,
    Adaptive(Adaptive),
}

/// A sampler for one tracing configuration. Share it with an `Arc`.
pub struct Sampler {
    strategy: SamplingStrategy,
    inner: Inner,
    clock: Arc<dyn Clock>,
    decided: AtomicU64,
    sampled: AtomicU64,
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler")
            .field("strategy", &self.strategy)
            .field("inner", &self.inner)
            .field("decided", &self.decided)
            .field("sampled", &self.sampled)
            .finish()
    }
}

impl Sampler {
    /// The sampler a configuration asks for, on the real clock.
    pub fn from_spec(spec: &TracingConfigSpec) -> Self {
        Self::from_spec_with_clock(spec, Arc::new(SystemClock::default()))
    }

    pub fn from_spec_with_clock(spec: &TracingConfigSpec, clock: Arc<dyn Clock>) -> Self {
        let tps = match spec.sampling_strategy {
            SamplingStrategy::RateLimit => spec.max_traces_per_second.unwrap_or(1),
            _ => spec.target_tps(),
        };
        Self::new(spec.sampling_strategy, spec.sampling_rate, tps, clock)
    }

    /// `rate` is the probability (probabilistic; starting point of adaptive); `tps` the
    /// ceiling (rate_limit) or target (adaptive).
    pub fn new(strategy: SamplingStrategy, rate: f64, tps: u32, clock: Arc<dyn Clock>) -> Self {
        let rate = if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) };
        let now = clock.now_nanos();
        let inner = match strategy {
            SamplingStrategy::Always => Inner::Always,
            SamplingStrategy::Never => Inner::Never,
            SamplingStrategy::Probabilistic => Inner::Probabilistic { rate, threshold: ratio_threshold(rate) },
            SamplingStrategy::RateLimit => {
                let cps = f64::from(tps);
                let max_balance = cps.max(1.0);
                Inner::RateLimit {
                    credits_per_sec: cps,
                    max_balance,
                    bucket: Mutex::new(Bucket { balance: max_balance, last: now }),
                }
            }
            SamplingStrategy::ErrorOnly => Inner::ErrorOnly,
            SamplingStrategy::Adaptive => {
                let p = rate.clamp(ADAPTIVE_MIN_PROBABILITY, 1.0);
                Inner::Adaptive(Adaptive {
                    target_tps: f64::from(tps.max(1)),
                    window_nanos: ADAPTIVE_WINDOW.as_nanos() as u64,
                    prob_bits: AtomicU64::new(p.to_bits()),
                    window_start: AtomicU64::new(now),
                    seen: AtomicU64::new(0),
                    window_sampled: AtomicU64::new(0),
                })
            }
        };
        Self { strategy, inner, clock, decided: AtomicU64::new(0), sampled: AtomicU64::new(0) }
    }

    pub fn strategy(&self) -> SamplingStrategy {
        self.strategy
    }

    /// Decides for a new trace (or a continued one: `parent_sampled` is the incoming
    /// context's sampling flag, `None` without a parent or when the parent deferred).
    pub fn should_sample(&self, trace_id: &TraceId, parent_sampled: Option<bool>) -> Decision {
        self.decided.fetch_add(1, Ordering::Relaxed);
        let d = self.decide(trace_id, parent_sampled);
        if d == Decision::RecordAndSample {
            self.sampled.fetch_add(1, Ordering::Relaxed);
        }
        d
    }

    fn decide(&self, trace_id: &TraceId, parent_sampled: Option<bool>) -> Decision {
        match (&self.inner, parent_sampled) {
            (Inner::Never, _) => return Decision::Drop,
            (Inner::ErrorOnly, Some(true)) => return Decision::RecordAndSample,
            (Inner::ErrorOnly, _) => return Decision::RecordOnly,
            (_, Some(true)) => return Decision::RecordAndSample,
            (_, Some(false)) => return Decision::Drop,
            (_, None) => {}
        }
        let yes = match &self.inner {
            Inner::Always => true,
            Inner::Never | Inner::ErrorOnly => false,
            Inner::Probabilistic { threshold, .. } => trace_id_below(trace_id, *threshold),
            Inner::RateLimit { credits_per_sec, max_balance, bucket } => {
                let now = self.clock.now_nanos();
                let mut b = bucket.lock().unwrap_or_else(|e| e.into_inner());
                let elapsed = now.saturating_sub(b.last) as f64 / 1e9;
                b.last = now;
                b.balance = (b.balance + elapsed * credits_per_sec).min(*max_balance);
                if b.balance >= 1.0 {
                    b.balance -= 1.0;
                    true
                } else {
                    false
                }
            }
            Inner::Adaptive(a) => {
                let p = a.tick(self.clock.now_nanos());
                trace_id_below(trace_id, ratio_threshold(p)) && a.take_budget()
            }
        };
        if yes { Decision::RecordAndSample } else { Decision::Drop }
    }

    /// Ends a request: returns whether its spans are to be exported. `RecordOnly` is
    /// upgraded (and counted as sampled) when the request `failed` (5xx, proxy error or
    /// upstream error).
    pub fn finish(&self, decision: Decision, failed: bool) -> bool {
        match decision {
            Decision::Drop => false,
            Decision::RecordAndSample => true,
            Decision::RecordOnly => {
                if failed {
                    self.sampled.fetch_add(1, Ordering::Relaxed);
                }
                failed
            }
        }
    }

    /// `(decisions, exported)` counted since creation.
    pub fn counts(&self) -> (u64, u64) {
        (self.decided.load(Ordering::Relaxed), self.sampled.load(Ordering::Relaxed))
    }

    /// The fraction of requests whose traces were exported so far; before any decision, the
    /// nominal rate (1 always, 0 never/error_only, the rate for probabilistic, the current
    /// probability for adaptive, 1 for rate_limit).
    pub fn effective_rate(&self) -> f64 {
        let (decided, sampled) = self.counts();
        if decided > 0 {
            return sampled as f64 / decided as f64;
        }
        match &self.inner {
            Inner::Always | Inner::RateLimit { .. } => 1.0,
            Inner::Never | Inner::ErrorOnly => 0.0,
            Inner::Probabilistic { rate, .. } => *rate,
            Inner::Adaptive(a) => a.probability(),
        }
    }

    /// The adaptive sampler's current probability (the configured rate for probabilistic,
    /// 1 for always, 0 for never; `None` for rate_limit and error_only).
    pub fn current_probability(&self) -> Option<f64> {
        match &self.inner {
            Inner::Always => Some(1.0),
            Inner::Never => Some(0.0),
            Inner::Probabilistic { rate, .. } => Some(*rate),
            Inner::Adaptive(a) => Some(a.probability()),
            _ => None,
        }
    }
}

impl Adaptive {
    fn probability(&self) -> f64 {
        f64::from_bits(self.prob_bits.load(Ordering::Relaxed))
    }

    /// Counts one request and, when a window has elapsed, moves the probability toward
    /// `target / request_rate` by at most ×2 / ÷2. Returns the probability to apply.
    fn tick(&self, now: u64) -> f64 {
        let start = self.window_start.load(Ordering::Acquire);
        let elapsed = now.saturating_sub(start);
        if elapsed >= self.window_nanos
            && self.window_start.compare_exchange(start, now, Ordering::AcqRel, Ordering::Relaxed).is_ok()
        {
            self.window_sampled.store(0, Ordering::Relaxed);
            let seen = self.seen.swap(0, Ordering::AcqRel) as f64;
            let rps = seen / (elapsed as f64 / 1e9);
            let p = self.probability();
            let ideal = if rps > 0.0 { self.target_tps / rps } else { 1.0 };
            let next = ideal.clamp(p / 2.0, p * 2.0).clamp(ADAPTIVE_MIN_PROBABILITY, 1.0);
            self.prob_bits.store(next.to_bits(), Ordering::Relaxed);
        }
        self.seen.fetch_add(1, Ordering::Relaxed);
        self.probability()
    }

    /// One more sampled trace in this window, unless the window's budget is spent.
    fn take_budget(&self) -> bool {
        let budget = (2.0 * self.target_tps * self.window_nanos as f64 / 1e9).ceil().max(1.0) as u64;
        self.window_sampled.fetch_add(1, Ordering::Relaxed) < budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn sampler(strategy: SamplingStrategy, rate: f64, tps: u32) -> (Sampler, Arc<FakeClock>) {
        let clock = FakeClock::new();
        (Sampler::new(strategy, rate, tps, clock.clone()), clock)
    }

    /// Drives `rps` requests per second for `secs` fake seconds; returns the sampled count.
    fn drive(s: &Sampler, clock: &FakeClock, rng: &mut StdRng, rps: u64, secs: u64) -> u64 {
        let step = Duration::from_nanos(1_000_000_000 / rps);
        let mut n = 0;
        for _ in 0..rps * secs {
            clock.advance(step);
            let id: TraceId = rng.random();
            if s.should_sample(&id, None).is_sampled() {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn always_and_never() {
        let mut rng = StdRng::seed_from_u64(1);
        let (a, c) = sampler(SamplingStrategy::Always, 0.0, 0);
        assert_eq!(drive(&a, &c, &mut rng, 1000, 1), 1000);
        assert_eq!(a.effective_rate(), 1.0);
        let (n, c) = sampler(SamplingStrategy::Never, 1.0, 0);
        assert_eq!(n.effective_rate(), 0.0);
        assert_eq!(drive(&n, &c, &mut rng, 1000, 1), 0);
        // `never` ignores a sampled parent; `always` follows an unsampled one.
        assert_eq!(n.should_sample(&[1; 16], Some(true)), Decision::Drop);
        assert_eq!(a.should_sample(&[1; 16], Some(false)), Decision::Drop);
    }

    #[test]
    fn probabilistic_rate_and_consistency() {
        let mut rng = StdRng::seed_from_u64(2);
        let (s, c) = sampler(SamplingStrategy::Probabilistic, 0.1, 0);
        assert_eq!(s.effective_rate(), 0.1);
        let n = drive(&s, &c, &mut rng, 100_000, 1);
        assert!((9_000..=11_000).contains(&n), "sampled {n} of 100000");
        assert!((s.effective_rate() - 0.1).abs() < 0.01);
        // Same id, same decision, across sampler instances (consistent by trace id).
        let (s2, _) = sampler(SamplingStrategy::Probabilistic, 0.1, 0);
        for _ in 0..1000 {
            let id: TraceId = rng.random();
            assert_eq!(s.should_sample(&id, None), s2.should_sample(&id, None));
        }
        // A trace sampled at rate r is sampled at any rate > r.
        let (s5, _) = sampler(SamplingStrategy::Probabilistic, 0.5, 0);
        for _ in 0..1000 {
            let id: TraceId = rng.random();
            if s.should_sample(&id, None).is_sampled() {
                assert!(s5.should_sample(&id, None).is_sampled());
            }
        }
        let (zero, _) = sampler(SamplingStrategy::Probabilistic, 0.0, 0);
        let (one, _) = sampler(SamplingStrategy::Probabilistic, 1.0, 0);
        assert_eq!(zero.should_sample(&[0; 16], None), Decision::Drop);
        assert_eq!(one.should_sample(&[0xff; 16], None), Decision::RecordAndSample);
    }

    #[test]
    fn parent_based() {
        let (s, _) = sampler(SamplingStrategy::Probabilistic, 0.0, 0);
        assert_eq!(s.should_sample(&[1; 16], Some(true)), Decision::RecordAndSample);
        let (s, _) = sampler(SamplingStrategy::RateLimit, 0.0, 1);
        assert_eq!(s.should_sample(&[1; 16], Some(false)), Decision::Drop);
        let (s, _) = sampler(SamplingStrategy::ErrorOnly, 0.0, 0);
        assert_eq!(s.should_sample(&[1; 16], Some(true)), Decision::RecordAndSample);
        assert_eq!(s.should_sample(&[1; 16], Some(false)), Decision::RecordOnly);
    }

    #[test]
    fn rate_limit_is_a_leaky_bucket() {
        let mut rng = StdRng::seed_from_u64(3);
        let (s, c) = sampler(SamplingStrategy::RateLimit, 1.0, 50);
        // 1000 rps for 10 s: the full initial balance (50) plus 50 per second.
        let n = drive(&s, &c, &mut rng, 1000, 10);
        assert!((549..=551).contains(&n), "{n}");
        // Steady state: 10 more seconds give 500 ± 1.
        let n = drive(&s, &c, &mut rng, 1000, 10);
        assert!((499..=501).contains(&n), "{n}");
        // Below the limit everything passes.
        let (s, c) = sampler(SamplingStrategy::RateLimit, 1.0, 50);
        assert_eq!(drive(&s, &c, &mut rng, 20, 10), 200);
        // Fractional: 1 tps with max balance 1.
        let (s, c) = sampler(SamplingStrategy::RateLimit, 1.0, 1);
        let n = drive(&s, &c, &mut rng, 100, 10);
        assert!((10..=11).contains(&n), "{n}");
    }

    #[test]
    fn error_only_records_all_exports_failures() {
        let (s, _) = sampler(SamplingStrategy::ErrorOnly, 1.0, 0);
        let mut exported = 0;
        for i in 0..1000u32 {
            let d = s.should_sample(&[2; 16], None);
            assert_eq!(d, Decision::RecordOnly);
            assert!(d.is_recording() && !d.is_sampled());
            if s.finish(d, i % 20 == 0) {
                exported += 1;
            }
        }
        assert_eq!(exported, 50);
        assert!((s.effective_rate() - 0.05).abs() < 1e-9);
        assert!(!s.finish(Decision::Drop, true));
        assert!(s.finish(Decision::RecordAndSample, false));
    }

    #[test]
    fn adaptive_converges_under_a_load_step() {
        let mut rng = StdRng::seed_from_u64(4);
        let (s, c) = sampler(SamplingStrategy::Adaptive, 1.0, 10);
        // 100 rps: the probability settles near 10/100.
        drive(&s, &c, &mut rng, 100, 20);
        let p = s.current_probability().unwrap();
        assert!((0.09..=0.11).contains(&p), "p={p}");
        let n = drive(&s, &c, &mut rng, 100, 10);
        assert!((70..=130).contains(&n), "100 rps: {n} sampled in 10 s");

        // Step to 5000 rps: the probability halves per window at most, then settles.
        let before = s.current_probability().unwrap();
        drive(&s, &c, &mut rng, 5000, 1);
        let after_one = s.current_probability().unwrap();
        assert!(after_one >= before / 2.0 - 1e-12, "bounded step: {before} -> {after_one}");
        drive(&s, &c, &mut rng, 5000, 15);
        let p = s.current_probability().unwrap();
        assert!((0.0018..=0.0022).contains(&p), "p={p}");
        let n = drive(&s, &c, &mut rng, 5000, 10);
        assert!((70..=130).contains(&n), "5000 rps: {n} sampled in 10 s");

        // Step back down: bounded increase (x2 per window), converges again.
        let before = s.current_probability().unwrap();
        drive(&s, &c, &mut rng, 100, 1);
        let after_one = s.current_probability().unwrap();
        assert!(after_one <= before * 2.0 + 1e-12);
        drive(&s, &c, &mut rng, 100, 10);
        let p = s.current_probability().unwrap();
        assert!((0.09..=0.11).contains(&p), "p={p}");
    }

    #[test]
    fn adaptive_caps_a_burst_at_twice_the_target_per_window() {
        let mut rng = StdRng::seed_from_u64(6);
        // Starts at probability 1; a sudden 20,000 rps must not export thousands of traces
        // while the probability comes down.
        let (s, c) = sampler(SamplingStrategy::Adaptive, 1.0, 10);
        for _ in 0..5 {
            let n = drive(&s, &c, &mut rng, 20_000, 1);
            assert!(n <= 21, "{n} traces sampled in one second at a target of 10/s");
        }
    }

    #[test]
    fn adaptive_floor_and_ceiling() {
        let mut rng = StdRng::seed_from_u64(5);
        let (s, c) = sampler(SamplingStrategy::Adaptive, 0.5, 1);
        // Very high load (ideal 2e-5): never below the floor.
        drive(&s, &c, &mut rng, 50_000, 15);
        assert!((s.current_probability().unwrap() - ADAPTIVE_MIN_PROBABILITY).abs() < 1e-12);
        // Idle: back up to 1.
        let (s, c) = sampler(SamplingStrategy::Adaptive, 0.01, 10);
        drive(&s, &c, &mut rng, 1, 20);
        assert_eq!(s.current_probability(), Some(1.0));
    }
}
