//! The proxy-wide link (`MARCHPROXY_LINK_MBPS`): one capacity shared by every shaped flow,
//! granted by priority class, by weight within a class, with headroom kept for higher
//! classes and a bound on how long a lower class waits.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use marchproxy_model::qos::{BYTES_PER_MBIT, Priority};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::shaping::bucket::{MAX_CHUNK, TokenBucket};

/// A waiting lower class gets at least one grant in this many.
pub const STARVATION_GRANTS: u32 = 10;
/// Headroom (fraction of the link's burst) each class leaves for the classes above it.
const RESERVE: [f64; 4] = [0.0, 0.15, 0.3, 0.45];

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

#[cfg(test)]
mod tests {
    use crate::shaping::acquire;
    use crate::shaping::policy::{Flow, PolicyShaper, ShapeParams};

    use super::*;

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
            cluster: false,
        }
    }

    // Paused time: the link's clock and every wait are virtual, so the shares measured
    // are the scheduler's, not the machine's load.
    #[tokio::test(start_paused = true)]
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
