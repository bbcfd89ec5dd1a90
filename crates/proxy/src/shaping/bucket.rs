//! The token bucket: fractional refill, debt, and chunk sizes that keep shaping smooth.

use std::time::Duration;

use tokio::time::Instant;

/// Largest chunk handed to a bucket at once (frames are split beyond it).
pub const MAX_CHUNK: usize = 16 * 1024;

/// A token bucket with fractional refill and debt.
///
/// Chunks are at most `chunk` bytes: 10 ms of the rate (at least 1 KiB), and never more
/// than the burst or [`MAX_CHUNK`], so shaping is smooth at low rates; where the burst sets
/// the ceiling, never more than a quarter of the burst either. The bucket holds at most
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
    /// Tokens held; negative: debt (the link scheduler reads and takes them directly).
    pub(crate) tokens: f64,
    last: Instant,
    /// Since [`TokenBucket::take_usage`]: bytes taken, whether a take had to wait, and the
    /// bytes the rate allowed (its integral over time, whatever the rate was meanwhile).
    used: f64,
    denied: bool,
    allowed: f64,
}

/// Refill a waiting bucket must be able to hold so late wake-ups lose nothing.
const TIMER_SLACK: f64 = 0.005;

fn chunk_for(rate: f64, burst: f64) -> usize {
    let mut chunk = (rate * 0.01) as usize;
    // Where the burst (not the timer slack) sets the ceiling, a chunk of at most a quarter
    // of it leaves three quarters as the ceiling: a flow woken late by the scheduler
    // (a busy or shared CPU) keeps the tokens of up to that much lateness instead of
    // losing them to the cap.
    if rate * TIMER_SLACK < burst * 0.75 {
        chunk = chunk.min(burst as usize / 4);
    }
    chunk.max(1024).min(burst as usize).clamp(1, MAX_CHUNK)
}

impl TokenBucket {
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        let chunk = chunk_for(rate, burst);
        let ceiling = (burst - chunk as f64).max(rate * TIMER_SLACK);
        Self {
            rate,
            ceiling,
            chunk,
            tokens: (burst - chunk as f64).max(0.0),
            last: now,
            used: 0.0,
            denied: false,
            allowed: 0.0,
        }
    }

    /// Add what the rate has earned since the last refill, up to the ceiling.
    pub(crate) fn refill(&mut self, now: Instant) {
        // A caller's `now` read before another thread's take is older than `last`: nothing
        // to add, and `last` must not move back (the same time would be refilled twice).
        if now <= self.last {
            return;
        }
        let dt = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.ceiling);
        self.allowed += dt * self.rate;
        self.last = now;
    }

    /// Bytes per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Since the last call (up to `now`): bytes taken, whether any take had to wait, and the
    /// bytes the rate allowed.
    pub fn take_usage(&mut self, now: Instant) -> (f64, bool, f64) {
        self.refill(now);
        let u = (self.used, self.denied, self.allowed);
        (self.used, self.denied, self.allowed) = (0.0, false, 0.0);
        u
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
            self.used += n;
            Ok(())
        } else {
            self.denied = true;
            Err(Duration::from_secs_f64(-self.tokens / self.rate))
        }
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
    fn a_flow_woken_late_by_a_busy_cpu_keeps_its_rate_within_its_burst() {
        // 10 Mbps with a 16 KiB burst, and every wake-up 8 ms late (a starved worker): the
        // chunk is a quarter of the burst, so the ceiling (12 KiB, ~9.8 ms of the rate) holds
        // the lateness. With a 10 ms chunk (12.5 kB) the ceiling was 5 ms of the rate, and
        // each 13 ms cycle lost 3.75 kB: 77 % of the rate.
        let (rate, burst) = (1_250_000.0, 16_384.0);
        let t0 = Instant::now();
        let mut b = TokenBucket::new(rate, burst, t0);
        assert_eq!(b.chunk(), 4096);
        let mut t = t0;
        let mut sent = 0.0f64;
        while t < t0 + Duration::from_secs(10) {
            match b.try_take(b.chunk() as f64, t) {
                Ok(()) => sent += b.chunk() as f64,
                Err(w) => t += w + Duration::from_millis(8),
            }
        }
        let measured = (sent - burst) / 10.0;
        assert!((measured - rate).abs() <= rate * 0.005, "rate {measured}");
        // After idling, no more than the burst passes at once.
        let t = t + Duration::from_secs(1);
        let mut burst_sent = 0.0;
        while b.try_take(1024.0, t).is_ok() {
            burst_sent += 1024.0;
        }
        assert!(burst_sent <= burst, "{burst_sent}");
    }
}
