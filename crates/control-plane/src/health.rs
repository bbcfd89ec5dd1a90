//! The health monitor: probes every endpoint of every enabled route table on the table's
//! `health_probe` schedule (TCP connect, HTTP(S) GET, ICMP echo, gRPC health check), applies the
//! consecutive-result thresholds, stores each outcome in `route_health_status`, and bumps
//! the cluster's config version when an endpoint flips so proxies learn of it at once.
//!
//! With several control-plane replicas on one database, a lease row elects the single
//! replica that probes; another takes over when the lease expires.
//!
//! Every probe obeys the outbound policy (the HTTP client's): a refused target is never
//! contacted, redirects are not followed (a 3xx answer counts as alive), and the stored
//! error is a bounded summary that viewers may read (never a response body).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use marchproxy_model::error::parse_endpoint;
use marchproxy_model::route_table::{EndpointHealth, HealthProbeConfig, ProbeProtocol, RouteTable};
use marchproxy_outbound::HttpClient;
use marchproxy_outbound::summary::{MAX_SUMMARY_CHARS, bounded, status as status_summary, summarize};
use tokio::task::JoinHandle;

use crate::state::AppState;
use crate::store;

/// Lease name and timing for the probing replica.
const LEASE: &str = "health-monitor";
const LEASE_TTL_MS: i64 = 10_000;

/// The outcome of one probe.
#[derive(Debug, Clone)]
pub struct ProbeResult {
    pub ok: bool,
    pub rtt_ms: f64,
    pub error: Option<String>,
}

/// Probe one endpoint once, under the policy of `http`.
pub async fn probe(endpoint: &str, cfg: &HealthProbeConfig, http: &HttpClient) -> ProbeResult {
    let start = Instant::now();
    let timeout = Duration::from_secs(cfg.effective_timeout_seconds() as u64);
    let res = tokio::time::timeout(timeout, probe_inner(endpoint, cfg, http)).await;
    let rtt_ms = start.elapsed().as_secs_f64() * 1000.0;
    match res {
        Ok(Ok(Some(rtt))) => ProbeResult { ok: true, rtt_ms: rtt, error: None },
        Ok(Ok(None)) => ProbeResult { ok: true, rtt_ms, error: None },
        Ok(Err(e)) => ProbeResult { ok: false, rtt_ms, error: Some(bounded(&e, MAX_SUMMARY_CHARS)) },
        Err(_) => ProbeResult {
            ok: false,
            rtt_ms,
            error: Some(format!("timed out after {} s", cfg.effective_timeout_seconds())),
        },
    }
}

/// `Ok(Some(rtt))` when the probe measured its own RTT (ICMP), `Ok(None)` to use wall time.
async fn probe_inner(endpoint: &str, cfg: &HealthProbeConfig, http: &HttpClient) -> Result<Option<f64>, String> {
    let ep = parse_endpoint(endpoint)?;
    let port = cfg.port.unwrap_or(ep.port);
    let policy = http.policy();
    match cfg.protocol {
        ProbeProtocol::Tcp => {
            policy.connect_tcp(&ep.host, port).await.map_err(|e| format!("TCP connect to {}:{port}: {e}", ep.host))?;
            Ok(None)
        }
        ProbeProtocol::Http | ProbeProtocol::Https => {
            let scheme = if cfg.protocol == ProbeProtocol::Https { "https" } else { "http" };
            let host = if ep.host.contains(':') { format!("[{}]", ep.host) } else { ep.host.clone() };
            let path = cfg.path.as_deref().unwrap_or("/health");
            let url = format!("{scheme}://{host}:{port}{path}");
            let resp = http.get(&url).map_err(|e| e.to_string())?.send().await.map_err(|e| summarize(&e))?;
            let status = resp.status();
            // A redirect is not followed: the endpoint answered, so it is alive.
            if status.is_success() || status.is_redirection() { Ok(None) } else { Err(status_summary(status.as_u16())) }
        }
        ProbeProtocol::Grpc => {
            let tls = matches!(ep.scheme.as_str(), "grpcs" | "https");
            let service = cfg.grpc_service.as_deref().unwrap_or("");
            crate::grpc_probe::check(policy, &ep.host, port, tls, service).await?;
            Ok(None)
        }
        ProbeProtocol::Icmp => {
            let ip: IpAddr = policy.resolve(&ep.host, 0).await.map_err(|e| e.to_string())?[0].ip();
            let cfg = match ip {
                IpAddr::V4(_) => surge_ping::Config::default(),
                IpAddr::V6(_) => surge_ping::Config::builder().kind(surge_ping::ICMP::V6).build(),
            };
            let client = surge_ping::Client::new(&cfg).map_err(|e| {
                format!(
                    "cannot open an ICMP socket ({e}): run as root, grant CAP_NET_RAW, or allow this group in net.ipv4.ping_group_range"
                )
            })?;
            let mut pinger = client.pinger(ip, surge_ping::PingIdentifier(rand::random())).await;
            pinger.timeout(Duration::from_secs(3600));
            let (_, rtt) = pinger
                .ping(surge_ping::PingSequence(0), &[0u8; 16])
                .await
                .map_err(|e| format!("ICMP echo to {ip} failed: {e}"))?;
            Ok(Some(rtt.as_secs_f64() * 1000.0))
        }
    }
}

/// Apply one probe result to an endpoint's state. Returns true when `is_healthy` flipped.
pub fn apply(
    h: &mut EndpointHealth,
    r: &ProbeResult,
    cfg: &HealthProbeConfig,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    h.last_check = Some(now);
    h.rtt_ms = Some((r.rtt_ms * 1000.0).round() / 1000.0);
    let before = h.is_healthy;
    if r.ok {
        h.consecutive_successes = h.consecutive_successes.saturating_add(1);
        h.consecutive_failures = 0;
        h.last_error = None;
        if !h.is_healthy && h.consecutive_successes >= cfg.healthy_threshold {
            h.is_healthy = true;
        }
    } else {
        h.consecutive_failures = h.consecutive_failures.saturating_add(1);
        h.consecutive_successes = 0;
        h.last_error = r.error.clone();
        if h.is_healthy && h.consecutive_failures >= cfg.unhealthy_threshold {
            h.is_healthy = false;
        }
    }
    before != h.is_healthy
}

/// One probe loop per (route table, endpoint); restarted when the table's config changes.
/// Dropping a target stops its loop, so stopping the monitor stops every probe.
struct Target {
    key: String,
    task: JoinHandle<()>,
}

impl Drop for Target {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Run the monitor until the returned task is aborted.
pub fn spawn(st: AppState, holder: String) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut targets: HashMap<(i64, String), Target> = HashMap::new();
        let mut changes = st.db.events.subscribe();
        loop {
            let leader = match store::leases::try_lease(&st.db, LEASE, &holder, LEASE_TTL_MS).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "health monitor: lease check failed");
                    false
                }
            };
            if leader {
                match store::route_tables::enabled_route_tables(&st.db).await {
                    Ok(tables) => reconcile(&st, &tables, &mut targets),
                    Err(e) => tracing::warn!(error = %e, "health monitor: cannot load route tables"),
                }
            } else if !targets.is_empty() {
                tracing::info!("health monitor: another replica holds the lease; stopping probes here");
                targets.clear();
            }
            // Re-check on any configuration change, and at least every few seconds: the
            // leader renews its lease three times per lease period; a follower looks every
            // second, so it takes over within a second of the lease running out (a leader
            // killed outright is replaced within one lease period and a second).
            let every = if leader { Duration::from_millis(LEASE_TTL_MS as u64 / 3) } else { Duration::from_secs(1) };
            let _ = tokio::time::timeout(every, changes.changed()).await;
        }
    })
}

fn reconcile(st: &AppState, tables: &[RouteTable], targets: &mut HashMap<(i64, String), Target>) {
    let mut wanted = HashMap::new();
    for t in tables {
        for r in t.spec.routes.iter().filter(|r| r.is_active) {
            let key = serde_json::to_string(&(&t.spec.health_probe, t.spec.cluster_id)).unwrap_or_default();
            wanted.insert((t.id, r.endpoint.clone()), (key, t.spec.health_probe.clone(), t.spec.cluster_id));
        }
    }
    targets.retain(|k, t| wanted.get(k).is_some_and(|(key, _, _)| *key == t.key));
    for (k, (key, cfg, cluster_id)) in wanted {
        if targets.contains_key(&k) {
            continue;
        }
        let task = tokio::spawn(probe_loop(st.clone(), k.0, k.1.clone(), cluster_id, cfg));
        targets.insert(k, Target { key, task });
    }
}

/// Where in its interval an endpoint's probes fall: a fixed fraction of the interval from
/// a hash of (table, endpoint). A thousand endpoints spread evenly over the interval instead
/// of starting together, and each keeps its place.
fn phase(table_id: i64, endpoint: &str, interval: Duration) -> Duration {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (table_id, endpoint).hash(&mut h);
    interval.mul_f64((h.finish() % 1_000_000) as f64 / 1_000_000.0)
}

/// An endpoint's probe schedule: every `interval`, at its [`phase`], anchored to the
/// schedule rather than chained after each probe, so probes do not drift later by their own
/// duration. A probe that overruns its slot (or waited for a probe slot) skips the missed
/// ticks instead of bursting to catch up.
fn schedule(table_id: i64, endpoint: &str, interval: Duration) -> tokio::time::Interval {
    let first = tokio::time::Instant::now() + phase(table_id, endpoint, interval);
    let mut tick = tokio::time::interval_at(first, interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tick
}

async fn probe_loop(st: AppState, table_id: i64, endpoint: String, cluster_id: i64, cfg: HealthProbeConfig) {
    let interval = Duration::from_secs(cfg.interval_seconds as u64);
    let mut tick = schedule(table_id, &endpoint, interval);
    loop {
        let due = tick.tick().await;
        // At most MARCHPROXY_HEALTH_MAX_CONCURRENT_PROBES probes at once, whatever the number
        // of endpoints (a slot is held for the probe, not for the bookkeeping after it).
        let result = {
            let Ok(_slot) = st.probe_slots.acquire().await else { return };
            st.metrics.probe_started(due.elapsed().as_secs_f64());
            probe(&endpoint, &cfg, &st.http).await
        };
        st.metrics.probe(result.ok);
        let current = store::route_tables::health_for_table(&st.db, table_id)
            .await
            .ok()
            .and_then(|v| v.into_iter().find(|h| h.endpoint == endpoint));
        // A database hiccup must not end probing: try again at the next tick.
        let Some(mut h) = current else { continue };
        let flipped = apply(&mut h, &result, &cfg, chrono::Utc::now());
        if flipped {
            tracing::info!(route_table = table_id, endpoint = ?endpoint, healthy = h.is_healthy, error = ?h.last_error, "endpoint health changed");
        }
        // A flip bumps the cluster's version, and the commit wakes the proxies' long-polls.
        if let Err(e) = store::route_tables::record_health(&st.db, &h, cluster_id, flipped).await {
            tracing::warn!(error = %e, "health monitor: cannot store a probe result");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::response::IntoResponse;
    use marchproxy_outbound::OutboundPolicy;

    use super::*;

    fn client(p: &OutboundPolicy) -> HttpClient {
        p.http_client(reqwest::Client::builder().timeout(Duration::from_secs(10))).unwrap()
    }

    /// A local HTTP server counting its requests; `/go` redirects to `target`.
    async fn counting_server(target: Option<String>) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            h.fetch_add(1, Ordering::SeqCst);
            let target = target.clone();
            async move {
                match (uri.path(), target) {
                    ("/go", Some(t)) => (axum::http::StatusCode::FOUND, [("location", t)]).into_response(),
                    _ => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "SECRET internal detail").into_response(),
                }
            }
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (addr, hits)
    }

    fn cfg() -> HealthProbeConfig {
        HealthProbeConfig { unhealthy_threshold: 3, healthy_threshold: 2, ..Default::default() }
    }

    fn h() -> EndpointHealth {
        EndpointHealth {
            route_table_id: 1,
            endpoint: "a:1".into(),
            is_healthy: true,
            last_check: None,
            rtt_ms: None,
            consecutive_failures: 0,
            consecutive_successes: 0,
            last_error: None,
        }
    }

    #[test]
    fn thresholds_prevent_flapping() {
        let (ok, bad) = (
            ProbeResult { ok: true, rtt_ms: 1.0, error: None },
            ProbeResult { ok: false, rtt_ms: 5.0, error: Some("refused".into()) },
        );
        let now = chrono::Utc::now();
        let mut s = h();
        assert!(!apply(&mut s, &bad, &cfg(), now));
        assert!(!apply(&mut s, &bad, &cfg(), now));
        assert!(!apply(&mut s, &ok, &cfg(), now), "one success resets the failure count");
        assert!(!apply(&mut s, &bad, &cfg(), now));
        assert!(!apply(&mut s, &bad, &cfg(), now));
        assert!(apply(&mut s, &bad, &cfg(), now), "third consecutive failure flips");
        assert!(!s.is_healthy);
        assert_eq!(s.last_error.as_deref(), Some("refused"));
        assert!(!apply(&mut s, &ok, &cfg(), now));
        assert!(apply(&mut s, &ok, &cfg(), now), "second consecutive success flips back");
        assert!(s.is_healthy && s.last_error.is_none());
    }

    #[tokio::test]
    async fn tcp_and_http_probes_measure_and_report() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let app = axum::Router::new()
            .route("/health", axum::routing::get(|| async { "ok" }))
            .route("/sick", axum::routing::get(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "no") }));
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        let http = client(&OutboundPolicy::default());
        let ep = format!("http://{addr}");
        let tcp = HealthProbeConfig { protocol: ProbeProtocol::Tcp, ..cfg() };
        let r = probe(&ep, &tcp, &http).await;
        assert!(r.ok && r.rtt_ms >= 0.0, "{r:?}");
        let web = HealthProbeConfig { protocol: ProbeProtocol::Http, path: Some("/health".into()), ..cfg() };
        assert!(probe(&ep, &web, &http).await.ok);
        let sick = HealthProbeConfig { protocol: ProbeProtocol::Http, path: Some("/sick".into()), ..cfg() };
        let r = probe(&ep, &sick, &http).await;
        assert!(!r.ok);
        assert_eq!(r.error.as_deref(), Some("HTTP 503 Service Unavailable"));
        let closed = probe("127.0.0.1:9", &tcp, &http).await;
        assert_eq!(closed.error.as_deref(), Some("TCP connect to 127.0.0.1:9: connection refused"));
        // HTTPS against a plain-HTTP port fails the TLS handshake.
        let tls = HealthProbeConfig { protocol: ProbeProtocol::Https, path: Some("/health".into()), ..cfg() };
        assert!(!probe(&ep, &tls, &http).await.ok);
    }

    #[tokio::test]
    async fn icmp_probe_reaches_loopback_or_explains_why_not() {
        let icmp = HealthProbeConfig { protocol: ProbeProtocol::Icmp, timeout_seconds: 2, ..cfg() };
        let r = probe("127.0.0.1:80", &icmp, &client(&OutboundPolicy::default())).await;
        if r.ok {
            assert!(r.rtt_ms < 1000.0);
        } else {
            assert!(r.error.unwrap().contains("ICMP socket"), "an unprivileged failure must say what to do");
        }
    }

    #[tokio::test]
    async fn probes_refuse_link_local_and_metadata_targets_at_once() {
        let policy = OutboundPolicy::default().with_host("imds.test", &["169.254.169.254".parse().unwrap()]);
        let http = client(&policy);
        for protocol in [ProbeProtocol::Tcp, ProbeProtocol::Http, ProbeProtocol::Https, ProbeProtocol::Icmp] {
            // Nothing answers these addresses here: a connection attempt would wait for the
            // 5 s timeout, a refusal is immediate.
            let c = HealthProbeConfig { protocol, timeout_seconds: 5, ..cfg() };
            for (endpoint, says) in [
                ("http://169.254.169.254:80", "169.254.169.254 is a cloud metadata address"),
                ("http://imds.test:80", "imds.test resolves to 169.254.169.254, a cloud metadata address"),
                ("http://[fe80::1]:80", "fe80::1 is a link-local address"),
                ("http://169.254.0.7:80", "169.254.0.7 is a link-local address"),
                ("http://metadata.google.internal:80", "metadata.google.internal is a cloud metadata host name"),
            ] {
                let started = Instant::now();
                let r = probe(endpoint, &c, &http).await;
                let e = r.error.unwrap();
                assert!(
                    !r.ok && e.contains(&format!("refused by outbound policy: {says}")),
                    "{protocol:?} {endpoint}: {e}"
                );
                assert!(started.elapsed() < Duration::from_secs(1), "{protocol:?} {endpoint}: not refused at once");
            }
        }
    }

    #[tokio::test]
    async fn private_switch_works_both_ways() {
        let (addr, hits) = counting_server(None).await;
        for protocol in [ProbeProtocol::Tcp, ProbeProtocol::Http] {
            let c = HealthProbeConfig { protocol, path: Some("/".into()), ..cfg() };
            let ep = format!("http://localhost:{}", addr.port());
            let refused = probe(&ep, &c, &client(&OutboundPolicy::new(false, vec![], vec![]))).await;
            let e = refused.error.unwrap();
            assert!(e.contains("localhost resolves to") && e.contains("private ranges are not allowed"), "{e}");
            let denied =
                probe(&ep, &c, &client(&OutboundPolicy::new(true, vec![], vec!["127.0.0.1/32".parse().unwrap()])))
                    .await;
            assert!(denied.error.unwrap().contains("in a denied range"));
            assert_eq!(hits.load(Ordering::SeqCst), 0, "{protocol:?}: a refused target was contacted");
            // Allowed by default: reached (the HTTP probe gets a 503, which is an answer).
            let allowed = probe(&ep, &c, &client(&OutboundPolicy::default())).await;
            assert!(allowed.ok || allowed.error.as_deref() == Some("HTTP 503 Service Unavailable"), "{allowed:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert_eq!(hits.load(Ordering::SeqCst), usize::from(protocol == ProbeProtocol::Http));
            hits.store(0, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn http_probes_do_not_follow_redirects_nor_echo_bodies() {
        let (second, second_hits) = counting_server(None).await;
        let (first, _) = counting_server(Some(format!("http://{second}/"))).await;
        let http = client(&OutboundPolicy::default());
        let c = HealthProbeConfig { protocol: ProbeProtocol::Http, path: Some("/go".into()), ..cfg() };
        let r = probe(&format!("http://{first}"), &c, &http).await;
        assert!(r.ok, "a 3xx is an answer: {r:?}");
        assert_eq!(second_hits.load(Ordering::SeqCst), 0, "the redirect was followed");
        let c = HealthProbeConfig { protocol: ProbeProtocol::Http, path: Some("/sick".into()), ..cfg() };
        let r = probe(&format!("http://{second}"), &c, &http).await;
        assert_eq!(r.error.as_deref(), Some("HTTP 503 Service Unavailable"));
    }

    /// A thousand endpoints at one interval are spread over it, not bunched at its start.
    #[test]
    fn a_thousand_endpoints_spread_over_the_interval() {
        let interval = Duration::from_secs(5);
        let mut buckets = [0u32; 50]; // 100 ms each
        for i in 0..1000 {
            let p = phase(i / 10, &format!("http://10.0.{}.{}:80", i / 250, i % 250), interval);
            assert!(p < interval);
            buckets[(p.as_millis() / 100) as usize] += 1;
        }
        // 20 per bucket on average; none empty, none with more than twice its share.
        assert!(buckets.iter().all(|&n| (1..=40).contains(&n)), "{buckets:?}");
        // Each endpoint keeps its place.
        assert_eq!(phase(3, "http://a:80", interval), phase(3, "http://a:80", interval));
    }

    /// The schedule is anchored: after a hundred periods with probes of varying length the
    /// ticks are still exactly phase + k × interval apart, and a probe that overruns a slot
    /// skips it rather than bursting.
    #[tokio::test(start_paused = true)]
    async fn probes_do_not_drift_or_burst() {
        let interval = Duration::from_secs(5);
        let t0 = tokio::time::Instant::now();
        let offset = phase(1, "http://a:80", interval);
        let mut tick = schedule(1, "http://a:80", interval);
        for k in 0..100u32 {
            let due = tick.tick().await;
            assert_eq!(due, t0 + offset + interval * k, "tick {k}");
            // A probe of 0-900 ms.
            tokio::time::sleep(Duration::from_millis(u64::from(k % 10) * 100)).await;
        }
        // A probe that takes 12 s, covering two slots: one probe follows at once, then the
        // schedule resumes at its next slot; the missed slot is not made up (no burst).
        let last = t0 + offset + interval * 99;
        let late = last + Duration::from_secs(12);
        tokio::time::sleep_until(late).await;
        tick.tick().await;
        assert!(tokio::time::Instant::now() - late < Duration::from_millis(1), "one probe at once");
        let due = tick.tick().await;
        assert_eq!(due, last + interval * 3, "then back on the schedule");
    }
}
