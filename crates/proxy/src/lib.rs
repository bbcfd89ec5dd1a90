//! The MarchProxy data plane.
//!
//! A proxy registers with the control plane, long-polls its cluster's snapshot, compiles
//! it into a [`runtime::Runtime`] and swaps it in atomically; requests in flight keep the
//! runtime they started with. Requests are routed by Host and path prefix to a service,
//! whose enabled route table picks an endpoint ([`balancer`]). Measured traffic flows
//! back to the control plane ([`report`]).
//!
//! Layout (a request's path through the files, then the rest):
//! - [`server`]: worker threads, each with its SO_REUSEPORT listener, runtime and upstream
//!   pools; per connection HTTP/1.x or HTTP/2. [`listen`]: binding, accept errors, stop.
//!   [`tls`]: the listener's certificate and upstream verification.
//! - [`conn`]: what every request of one client connection shares ([`conn::ConnInfo`]).
//! - [`codec`]: the HTTP/1 server-side codec (reader, head parser, request bodies);
//!   [`h1`]: the HTTP/1 connection server (request loop, response writing, timeouts);
//!   [`h2`]: HTTP/2 connections (hyper, keep-alive PINGs, idle timeout);
//!   `wire`: HTTP/1 wire details both sides share.
//! - [`forward`]: the request path in five phases: route → select → prepare → send → observe;
//!   [`path`]: dot-segments resolved before routing.
//! - [`runtime`]: snapshot → request-path index; [`balancer`]: the five algorithms and
//!   per-endpoint state; [`regions`]: cloud region coordinates.
//! - [`upstream`]: the HTTP/1.1 client (request head, pool and exchange, time limits,
//!   response head, response body).
//! - [`body`]: the streamed bodies (to and from the upstream) and their wrappers (shaping,
//!   counting); [`tunnel`]: protocol upgrades (WebSocket).
//! - [`shaping`]: token buckets, the P0–P3 link scheduler, per-service policy slots;
//!   [`lease`]: shares of cluster-wide limits, leased from the control plane by demand;
//!   [`dscp`]: DSCP marking and the per-mark connector.
//! - [`trace`]: spans, propagation, sampling and export per tracing config.
//! - [`error`]: every proxy error → one status + `x-marchproxy-error` (gRPC clients: a
//!   "trailers only" answer); [`grpc`]: gRPC statuses and which are failures.
//! - `batch`, `pace`: write batching per event-loop turn (io_uring) and when a busy
//!   worker yields its CPU.
//! - [`l4`]: TCP services (listeners, connections, counted and shaped copying).
//! - [`config`]: flags and environment; [`control_plane`]: the control plane's replicas and
//!   failing over between them; [`sync`]: registration and the configuration long-poll; [`report`]: traffic reports; [`metrics`], [`admin`]: Prometheus metrics and
//!   the admin listener.
//! - `fuzz` (tests only): property-based fuzzing of what the proxy parses.
//!
//! Architecture invariant: the proxy never touches the database; its only input is the
//! snapshot, through the control plane's HTTP API.
// Unsafe code is denied everywhere but in batch.rs's io_uring submission (see its safety notes).
#![deny(unsafe_code)]

pub mod admin;
pub mod balancer;
mod batch;
pub mod body;
pub mod codec;
pub mod config;
pub mod conn;
pub mod control_plane;
pub mod dscp;
pub mod error;
mod exec;
pub mod forward;
#[cfg(test)]
mod fuzz;
pub mod grpc;
pub mod h1;
pub mod h2;
pub mod l4;
pub mod lease;
pub mod listen;
pub mod metrics;
mod pace;
pub mod path;
pub mod regions;
pub mod report;
pub mod runtime;
pub mod server;
pub mod shaping;
pub mod sync;
pub mod tls;
pub mod trace;
pub mod tunnel;
pub mod upstream;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;

pub use config::ProxyConfig;
use runtime::{Registry, Runtime};

/// Shared state of one proxy process.
pub struct Proxy {
    pub runtime: ArcSwapOption<Runtime>,
    pub registry: Registry,
    pub metrics: metrics::Metrics,
    pub shaping: shaping::Shaping,
    pub tracing: trace::Tracing,
    /// Control-plane client.
    pub http: reqwest::Client,
    /// The control plane's replicas (control_plane.rs).
    pub control_plane: control_plane::ControlPlanes,
    api_key: String,
    pub name: String,
    pub listen_addr: SocketAddr,
    pub location: Option<(f64, f64)>,
    /// Request-head (and keep-alive idle) deadline of client connections.
    pub header_timeout: Duration,
    /// Longest wait for a client to take response bytes (h1.rs).
    pub send_timeout: Duration,
    /// Silence after which an upgraded connection is closed (tunnel.rs).
    pub tunnel_idle_timeout: Duration,
    /// Silence after which an L4 connection is closed (l4.rs).
    pub tcp_idle_timeout: Duration,
    /// An HTTP/2 connection without requests for this long is closed (server.rs).
    pub h2_idle_timeout: Duration,
    /// Interval of HTTP/2 keep-alive pings, if any.
    pub h2_keepalive: Option<Duration>,
    /// Run without blocking after which a worker yields its CPU at an idle point (pace.rs);
    /// zero never yields.
    pub worker_yield: Duration,
    pub report_interval: Duration,
    /// How often cluster-scope bandwidth shares are leased (lease.rs).
    pub lease_interval: Duration,
    /// Set first at shutdown: `/ready` answers 503 while requests in progress finish.
    pub draining: std::sync::atomic::AtomicBool,
    proxy_id: AtomicI64,
    pub report_now: tokio::sync::Notify,
    /// Running L4 listeners by port.
    tcp_listeners: l4::Listeners,
    /// What upstream connections (HTTP pools, L4) may reach.
    pub outbound: marchproxy_outbound::OutboundPolicy,
}

impl Proxy {
    pub fn proxy_id(&self) -> i64 {
        self.proxy_id.load(Ordering::Relaxed)
    }

    fn set_proxy_id(&self, id: i64) {
        self.proxy_id.store(id, Ordering::Relaxed);
    }
}

/// Epoch milliseconds.
pub fn now_ms() -> i64 {
    // SystemTime rather than chrono: one clock read, no calendar arithmetic (per request).
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// A running proxy.
pub struct Running {
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub proxy: Arc<Proxy>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    http_task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Shut down gracefully, as on SIGTERM: `/ready` turns 503 at once; after `delay` (time
    /// for load balancers to notice) the listeners close and requests in progress finish;
    /// after `grace` more, whatever is left is cut. Until then the proxy keeps serving its
    /// last snapshot. Returns whether everything finished within `grace`.
    pub async fn drain(self, delay: Duration, grace: Duration) -> bool {
        self.proxy.draining.store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(
            delay_s = delay.as_secs_f64(),
            grace_s = grace.as_secs_f64(),
            "draining: readiness is now false"
        );
        tokio::time::sleep(delay).await;
        let _ = self.stop.send(true);
        // L4 (TCP service) listeners stop accepting at the same moment; their connections
        // in progress run on through the grace period below, then are closed with the rest.
        self.proxy.tcp_listeners.stop_all();
        let mut http = self.http_task;
        let finished = tokio::time::timeout(grace, &mut http).await.is_ok();
        if !finished {
            tracing::warn!("connections still open after the shutdown grace period; closing them");
            http.abort();
        }
        for t in &self.tasks {
            t.abort();
        }
        finished
    }

    /// Stop accepting, let in-flight requests finish, stop background work.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.http_task.await;
        for t in &self.tasks {
            t.abort();
        }
        self.proxy.tcp_listeners.stop_all();
    }
}

/// Register with the control plane, then serve. Registration failures that cannot heal
/// (bad key, proxy limit) are returned as errors.
pub async fn start(cfg: ProxyConfig) -> anyhow::Result<Running> {
    let location = cfg.location()?;
    // Each downstream connection holds two descriptors (see dscp::Downstream).
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let workers = cfg.worker_count();
    let (listeners, addr) = listen::bind_workers(&cfg.listen, workers).await?;
    // Per worker: its listener and its own pools, built here so a bad CA file fails the start.
    let tls_config = tls::upstream_config(cfg.upstream_ca.as_deref())?;
    // Endpoints, L4 targets and span exporters: one outbound policy (crates/outbound).
    let outbound = cfg.outbound.policy();
    let timeouts =
        upstream::limits::Timeouts { response: cfg.upstream_timeout(), client_body: cfg.client_body_timeout() };
    let per_worker = listeners
        .into_iter()
        .map(|l| {
            let pools = dscp::MARKS.iter().map(|m| upstream::pool::Pool::new(&tls_config, *m, timeouts, &outbound));
            (l, Arc::new(pools.collect()))
        })
        .collect();
    let (admin_listener, admin_addr) = listen::bind(&cfg.admin_listen).await?;
    let tls = match (&cfg.tls_cert, &cfg.tls_key) {
        (Some(c), Some(k)) => Some(tls::acceptor(c, k)?),
        (None, None) => None,
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    };
    let control_planes = control_plane::ControlPlanes::parse(&cfg.control_plane)?;
    // Every control-plane call has a deadline (the long-poll sets a longer one per request).
    let http =
        reqwest::Client::builder().connect_timeout(Duration::from_secs(5)).timeout(Duration::from_secs(15)).build()?;
    let proxy = Arc::new(Proxy {
        runtime: ArcSwapOption::empty(),
        registry: Registry::default(),
        metrics: metrics::Metrics::default(),
        shaping: shaping::Shaping::new(cfg.link_mbps),
        tracing: trace::Tracing::new(
            control_planes.all(),
            &cfg.cluster_api_key,
            outbound.clone(),
            cfg.trace_redact_query,
        ),
        outbound,
        http,
        control_plane: control_planes,
        api_key: cfg.cluster_api_key.clone(),
        name: cfg.proxy_name(),
        listen_addr: addr,
        location,
        send_timeout: cfg.send_timeout(),
        tcp_idle_timeout: cfg.tcp_idle_timeout(),
        h2_idle_timeout: cfg.h2_idle_timeout(),
        h2_keepalive: cfg.h2_keepalive(),
        header_timeout: cfg.header_timeout(),
        tunnel_idle_timeout: cfg.tunnel_idle_timeout(),
        worker_yield: Duration::from_micros(cfg.worker_yield_us),
        report_interval: Duration::from_millis(cfg.report_interval_ms.max(50)),
        lease_interval: Duration::from_millis(cfg.qos_lease_interval_ms.clamp(50, 10_000)),
        draining: std::sync::atomic::AtomicBool::new(false),
        proxy_id: AtomicI64::new(0),
        report_now: tokio::sync::Notify::new(),
        tcp_listeners: l4::Listeners::default(),
    });
    let reg =
        proxy.register().await.map_err(|e| anyhow::anyhow!("registration with {} failed: {e}", proxy.control_plane))?;
    proxy.set_proxy_id(reg.proxy_id);
    tracing::info!(proxy_id = reg.proxy_id, cluster = reg.cluster_id, listen = %addr, admin = %admin_addr, workers, "proxy registered");
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    // Each worker on its own CPU, when there is one CPU per worker.
    let cpus = server::allowed_cpus().filter(|c| cfg.pin_workers && workers > 1 && c.len() == workers);
    let http_task = tokio::spawn(server::serve_http(proxy.clone(), per_worker, cpus, tls, stop_rx.clone()));
    let tasks = vec![
        tokio::spawn(admin::serve(proxy.clone(), admin_listener, stop_rx)),
        tokio::spawn(proxy.clone().sync_loop()),
        tokio::spawn(proxy.clone().report_loop()),
        tokio::spawn(proxy.clone().lease_loop()),
        tokio::spawn(proxy.clone().lease_expiry_loop()),
    ];
    Ok(Running { addr, admin_addr, proxy, stop, tasks, http_task })
}
