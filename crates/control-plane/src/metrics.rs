//! The control plane's counters for Prometheus: fed by the request layer
//! (`api::metrics::track`), the configuration long-poll, the health monitor and the ingest
//! queue, and written out by `api::metrics::render` (`GET /metrics`), which adds what the
//! database and the other components know when scraped. No HTTP and no application state
//! here, so anything below the API can count.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the probe lag histogram.
const LAG_BUCKETS: [f64; 7] = [0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// Upper bounds (seconds) of the API latency histogram.
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default, Clone, Copy)]
struct Series {
    count: u64,
    sum: Duration,
    buckets: [u64; BUCKETS.len()],
}

/// The control plane's counters.
#[derive(Default)]
pub struct Metrics {
    /// By (method, route template, status).
    requests: Mutex<HashMap<(String, String, u16), Series>>,
    /// Configuration long-polls waiting now.
    pub long_polls: AtomicI64,
    /// Probe results of this replica's health monitor: ok, failed.
    pub probes: [AtomicU64; 2],
    /// How late probes started against their schedule (waiting for a probe slot, or behind
    /// a slow previous probe): counts per [`LAG_BUCKETS`] bound, and the sum in µs.
    probe_lag: [AtomicU64; LAG_BUCKETS.len()],
    probe_lag_sum_us: AtomicU64,
    probe_lag_count: AtomicU64,
    /// Spans stored, and exports refused because the ingest queue was full.
    pub spans_stored: AtomicU64,
    pub ingest_rejected: AtomicU64,
}

/// Decrements [`Metrics::long_polls`] when the long-poll ends, however it ends.
pub struct LongPoll<'a>(&'a Metrics);

impl Metrics {
    pub fn long_poll(&self) -> LongPoll<'_> {
        self.long_polls.fetch_add(1, Ordering::Relaxed);
        LongPoll(self)
    }

    /// A probe started `lag_s` seconds after its scheduled time.
    pub fn probe_started(&self, lag_s: f64) {
        if let Some(i) = LAG_BUCKETS.iter().position(|b| lag_s <= *b) {
            self.probe_lag[i].fetch_add(1, Ordering::Relaxed);
        }
        self.probe_lag_sum_us.fetch_add((lag_s * 1e6) as u64, Ordering::Relaxed);
        self.probe_lag_count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn probe(&self, ok: bool) {
        self.probes[usize::from(!ok)].fetch_add(1, Ordering::Relaxed);
    }

    /// One API request: method, route template, status, latency.
    pub fn observe(&self, method: &str, route: &str, status: u16, took: Duration) {
        let mut m = self.requests.lock().expect("metrics lock");
        let s = m.entry((method.to_string(), route.to_string(), status)).or_default();
        s.count += 1;
        s.sum += took;
        if let Some(i) = BUCKETS.iter().position(|b| took.as_secs_f64() <= *b) {
            s.buckets[i] += 1;
        }
    }

    /// The API request histogram, in the text exposition format.
    pub fn write_requests(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "# HELP marchproxy_api_request_duration_seconds API requests by method, route and status, with latency."
        );
        let _ = writeln!(o, "# TYPE marchproxy_api_request_duration_seconds histogram");
        let snapshot: Vec<_> = {
            let reqs = self.requests.lock().expect("metrics lock");
            let mut v: Vec<_> = reqs.iter().map(|(k, s)| (k.clone(), *s)).collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        for ((method, route, status), s) in &snapshot {
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", esc(route));
            let mut cumulative = 0;
            for (b, n) in BUCKETS.iter().zip(s.buckets) {
                cumulative += n;
                let _ =
                    writeln!(o, "marchproxy_api_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {cumulative}");
            }
            let _ = writeln!(o, "marchproxy_api_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(o, "marchproxy_api_request_duration_seconds_sum{{{labels}}} {}", s.sum.as_secs_f64());
            let _ = writeln!(o, "marchproxy_api_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
    }

    /// The health monitor's probe counts and start-lag histogram.
    pub fn write_probes(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "# HELP marchproxy_health_probes_total Probes run by this replica's health monitor, by result."
        );
        let _ = writeln!(o, "# TYPE marchproxy_health_probes_total counter");
        let _ =
            writeln!(o, "marchproxy_health_probes_total{{result=\"ok\"}} {}", self.probes[0].load(Ordering::Relaxed));
        let _ = writeln!(
            o,
            "marchproxy_health_probes_total{{result=\"failed\"}} {}",
            self.probes[1].load(Ordering::Relaxed)
        );
        let _ =
            writeln!(o, "# HELP marchproxy_health_probe_lag_seconds How late probes started against their schedule.");
        let _ = writeln!(o, "# TYPE marchproxy_health_probe_lag_seconds histogram");
        let mut cumulative = 0;
        for (b, n) in LAG_BUCKETS.iter().zip(&self.probe_lag) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(o, "marchproxy_health_probe_lag_seconds_bucket{{le=\"{b}\"}} {cumulative}");
        }
        let started = self.probe_lag_count.load(Ordering::Relaxed);
        let _ = writeln!(o, "marchproxy_health_probe_lag_seconds_bucket{{le=\"+Inf\"}} {}", started.max(cumulative));
        let _ = writeln!(
            o,
            "marchproxy_health_probe_lag_seconds_sum {}",
            self.probe_lag_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(o, "marchproxy_health_probe_lag_seconds_count {}", started.max(cumulative));
    }
}

impl Drop for LongPoll<'_> {
    fn drop(&mut self) {
        self.0.long_polls.fetch_sub(1, Ordering::Relaxed);
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
