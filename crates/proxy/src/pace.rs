//! When a worker thread gives its CPU away on purpose.
//!
//! Under a load that keeps a worker busy, the worker rarely blocks: every time its queue
//! empties, the kernel already has the next events. It then holds its CPU for a whole time
//! slice while the peers it has just woken (the clients whose responses it sent, the
//! upstreams whose requests it sent) wait their turn on the same CPU, and the requests
//! those peers carry wait with them, which raises the p99 wherever the proxy shares its
//! CPUs with its peers (how it was found and measured: docs/BENCHMARKS.md, "Sixth pass").
//!
//! So at each idle point (the worker's queue is empty and it is about to ask the kernel for
//! events) a worker that has run without blocking for at least `--worker-yield-us`
//! microseconds first yields its CPU (`sched_yield`): whatever else is runnable there runs
//! first, and the worker resumes with the events it produced. A worker that blocks often
//! (a light load) never reaches the threshold, so it does not hand its CPU to a busy
//! process that merely shares it while its own events wait.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A park that took longer than this blocked (or the thread was descheduled meanwhile):
/// the CPU was given away either way, and the worker's run starts again.
const BLOCKED: Duration = Duration::from_micros(50);

static YIELDS: AtomicU64 = AtomicU64::new(0);

/// Yields so far by every worker of this process, for the metrics.
pub(crate) fn yields() -> u64 {
    YIELDS.load(Ordering::Relaxed)
}

/// One worker's run: since when it has held its CPU, and when it last parked.
#[derive(Debug, Default, Clone, Copy)]
struct Run {
    start: Option<Instant>,
    parked_at: Option<Instant>,
}

impl Run {
    /// At an idle point: whether to yield before polling for events.
    fn should_yield(&mut self, now: Instant, after: Duration) -> bool {
        let start = *self.start.get_or_insert(now);
        now.duration_since(start) >= after
    }

    /// The worker parks (after yielding, if it did, at `now`).
    fn parked(&mut self, now: Instant, yielded: bool) {
        if yielded {
            self.start = Some(now);
        }
        self.parked_at = Some(now);
    }

    /// The worker runs again.
    fn unparked(&mut self, now: Instant) {
        if self.parked_at.is_some_and(|p| now.duration_since(p) >= BLOCKED) {
            self.start = Some(now);
        }
    }
}

thread_local! {
    static RUN: Cell<Run> = const { Cell::new(Run { start: None, parked_at: None }) };
}

/// The worker runtime's `on_thread_park` hook; `after` zero never yields.
pub(crate) fn before_park(after: Duration) {
    if after.is_zero() {
        return;
    }
    let mut run = RUN.get();
    let mut now = Instant::now();
    let yielded = run.should_yield(now, after);
    if yielded {
        std::thread::yield_now();
        YIELDS.fetch_add(1, Ordering::Relaxed);
        now = Instant::now();
    }
    run.parked(now, yielded);
    RUN.set(run);
}

/// The worker runtime's `on_thread_unpark` hook.
pub(crate) fn after_park(after: Duration) {
    if after.is_zero() {
        return;
    }
    let mut run = RUN.get();
    run.unparked(Instant::now());
    RUN.set(run);
}

#[cfg(test)]
mod tests {
    use super::*;

    const AFTER: Duration = Duration::from_micros(300);
    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn a_worker_that_never_blocks_yields_once_per_threshold() {
        let t0 = Instant::now();
        let mut run = Run::default();
        let mut yields = Vec::new();
        // Idle points every 20 µs whose parks return at once (events were ready).
        for i in 0..50 {
            let now = t0 + us(20 * i);
            run.unparked(now);
            let y = run.should_yield(now, AFTER);
            if y {
                yields.push(i);
            }
            run.parked(now, y);
        }
        assert_eq!(yields, [15, 30, 45]);
    }

    #[test]
    fn a_worker_that_blocks_starts_its_run_again() {
        let t0 = Instant::now();
        let mut run = Run::default();
        assert!(!run.should_yield(t0, AFTER));
        run.parked(t0, false);
        // It slept 1 ms in the kernel: the run starts when it wakes.
        run.unparked(t0 + us(1000));
        assert!(!run.should_yield(t0 + us(1200), AFTER));
        run.parked(t0 + us(1200), false);
        // A park that returned at once keeps the run going.
        run.unparked(t0 + us(1210));
        assert!(run.should_yield(t0 + us(1300), AFTER));
    }

    #[test]
    fn a_light_load_never_yields() {
        let t0 = Instant::now();
        let mut run = Run::default();
        // 100 requests, each 30 µs of work between 200 µs sleeps.
        for i in 0..100 {
            let woke = t0 + us(230 * i);
            run.unparked(woke);
            assert!(!run.should_yield(woke + us(30), AFTER), "request {i}");
            run.parked(woke + us(30), false);
        }
    }
}
