//! The MarchProxy data plane.
//!
//! A proxy registers with the control plane, long-polls its cluster's snapshot, compiles
//! it into a [`runtime::Runtime`] and swaps it in atomically; requests in flight keep the
//! runtime they started with. Requests are routed by Host and path prefix to a service,
//! whose enabled route table picks an endpoint ([`balancer`]). Measured traffic flows
//! back to the control plane ([`report`]).
//!
//! Layout:
//! - [`config`]: flags and environment.
//! - [`sync`]: registration and the configuration long-poll.
//! - [`runtime`]: snapshot → request-path index; [`balancer`]: the five algorithms.
//! - [`forward`]: the HTTP request path; [`l4`]: TCP services; [`server`]: listeners.
//! - [`error`]: every proxy error → one status + `x-marchproxy-error`.
//! - [`report`], [`metrics`]: traffic reports and Prometheus metrics.
//!
//! Architecture invariant: the proxy never touches the database; its only input is the
//! snapshot, through the control plane's HTTP API.
// Unsafe code is denied everywhere but in batch.rs's io_uring submission (see its safety notes).
#![deny(unsafe_code)]

pub mod balancer;
mod batch;
pub mod body;
pub mod config;
pub mod dscp;
pub mod error;
pub mod forward;
pub mod h1;
pub mod l4;
pub mod metrics;
mod pace;
pub mod regions;
pub mod report;
pub mod runtime;
pub mod server;
pub mod shaping;
pub mod sync;
pub mod trace;
pub mod tunnel;
pub mod upstream;
mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwapOption;

pub use config::ProxyConfig;
use runtime::{Registry, Runtime};

pub type HttpsConnector = hyper_rustls::HttpsConnector<dscp::DscpConnector>;
/// A pooled upstream HTTP client (one per DSCP mark per worker thread).
pub type UpstreamClient = upstream::Pool;

/// Shared state of one proxy process.
pub struct Proxy {
    pub runtime: ArcSwapOption<Runtime>,
    pub registry: Registry,
    pub metrics: metrics::Metrics,
    pub shaping: shaping::Shaping,
    pub tracing: trace::Tracing,
    /// Control-plane client.
    pub http: reqwest::Client,
    pub control_plane: String,
    api_key: String,
    pub name: String,
    pub listen_addr: SocketAddr,
    pub location: Option<(f64, f64)>,
    pub upstream_timeout: Duration,
    /// Request-head (and keep-alive idle) deadline of client connections.
    pub header_timeout: Duration,
    /// Silence after which an upgraded connection is closed (tunnel.rs).
    pub tunnel_idle_timeout: Duration,
    /// Run without blocking after which a worker yields its CPU at an idle point (pace.rs);
    /// zero never yields.
    pub worker_yield: Duration,
    pub report_interval: Duration,
    proxy_id: AtomicI64,
    pub report_now: tokio::sync::Notify,
    /// Running L4 listeners by port.
    tcp_listeners: Mutex<HashMap<u16, tokio::task::JoinHandle<()>>>,
    self_ref: Mutex<Option<std::sync::Weak<Proxy>>>,
}

impl Proxy {
    pub fn proxy_id(&self) -> i64 {
        self.proxy_id.load(Ordering::Relaxed)
    }

    fn set_proxy_id(&self, id: i64) {
        self.proxy_id.store(id, Ordering::Relaxed);
    }

    /// Start or stop L4 listeners to match the runtime's TCP services.
    fn on_apply(&self, rt: &Runtime) {
        let Some(me) = self.self_ref.lock().expect("self ref").as_ref().and_then(|w| w.upgrade()) else { return };
        let mut listeners = self.tcp_listeners.lock().expect("tcp listeners");
        let wanted: Vec<u16> = rt.tcp.iter().map(|t| t.listen_port).collect();
        listeners.retain(|port, task| {
            let keep = wanted.contains(port);
            if !keep {
                task.abort();
                tracing::info!(port, "stopped TCP listener");
            }
            keep
        });
        let host = if self.listen_addr.ip().is_unspecified() {
            "0.0.0.0".to_string()
        } else {
            self.listen_addr.ip().to_string()
        };
        for port in wanted {
            if listeners.contains_key(&port) {
                continue;
            }
            match std::net::TcpListener::bind((host.as_str(), port)).and_then(|l| {
                l.set_nonblocking(true)?;
                tokio::net::TcpListener::from_std(l)
            }) {
                Ok(l) => {
                    tracing::info!(port, "TCP listener started");
                    listeners.insert(port, tokio::spawn(server::serve_tcp(me.clone(), l, port)));
                }
                Err(e) => tracing::error!(port, error = %e, "cannot start TCP listener"),
            }
        }
    }
}

/// Epoch milliseconds.
pub fn now_ms() -> i64 {
    // SystemTime rather than chrono: one clock read, no calendar arithmetic (per request).
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Idle keep-alive connections kept per upstream, worker thread and DSCP mark.
const MAX_IDLE_PER_UPSTREAM: usize = 256;

/// TLS settings for https upstreams: certificate verification against the web PKI roots
/// plus an optional extra CA bundle. Built once and shared by every pool (the root store
/// is ~130 KB).
pub fn upstream_tls(extra_ca: Option<&std::path::Path>) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        for c in CertificateDer::pem_file_iter(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))? {
            roots.add(c.map_err(|e| anyhow::anyhow!("parsing {}: {e}", path.display()))?)?;
        }
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The upstream HTTP client of one worker and DSCP mark: pooled keep-alive connections,
/// TCP_NODELAY, the mark set before the SYN, TLS per [`upstream_tls`].
pub fn upstream_client(tls: &rustls::ClientConfig, dscp: u8) -> UpstreamClient {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls.clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(dscp::DscpConnector::new(dscp, Duration::from_secs(5)));
    upstream::Pool::new(https, MAX_IDLE_PER_UPSTREAM)
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
    /// Stop accepting, let in-flight requests finish, stop background work.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.http_task.await;
        for t in &self.tasks {
            t.abort();
        }
        for (_, t) in self.proxy.tcp_listeners.lock().expect("tcp listeners").drain() {
            t.abort();
        }
    }
}

/// Register with the control plane, then serve. Registration failures that cannot heal
/// (bad key, proxy limit) are returned as errors.
pub async fn start(cfg: ProxyConfig) -> anyhow::Result<Running> {
    let location = cfg.location()?;
    // Each downstream connection holds two descriptors (see dscp::Downstream).
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let workers = cfg.worker_count();
    let (listeners, addr) = server::bind_workers(&cfg.listen, workers).await?;
    // Per worker: its listener and its own pools, built here so a bad CA file fails the start.
    let tls_config = upstream_tls(cfg.upstream_ca.as_deref())?;
    let per_worker = listeners
        .into_iter()
        .map(|l| (l, Arc::new(dscp::MARKS.iter().map(|m| upstream_client(&tls_config, *m)).collect())))
        .collect();
    let (admin_listener, admin_addr) = server::bind(&cfg.admin_listen).await?;
    let tls = match (&cfg.tls_cert, &cfg.tls_key) {
        (Some(c), Some(k)) => Some(server::tls_acceptor(c, k)?),
        (None, None) => None,
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    };
    // Every control-plane call has a deadline (the long-poll sets a longer one per request).
    let http =
        reqwest::Client::builder().connect_timeout(Duration::from_secs(5)).timeout(Duration::from_secs(15)).build()?;
    let proxy = Arc::new(Proxy {
        runtime: ArcSwapOption::empty(),
        registry: Registry::default(),
        metrics: metrics::Metrics::default(),
        shaping: shaping::Shaping::new(cfg.link_mbps),
        tracing: trace::Tracing::default(),
        http,
        control_plane: cfg.control_plane.trim_end_matches('/').to_string(),
        api_key: cfg.cluster_api_key.clone(),
        name: cfg.proxy_name(),
        listen_addr: addr,
        location,
        upstream_timeout: cfg.upstream_timeout(),
        header_timeout: cfg.header_timeout(),
        tunnel_idle_timeout: cfg.tunnel_idle_timeout(),
        worker_yield: Duration::from_micros(cfg.worker_yield_us),
        report_interval: Duration::from_millis(cfg.report_interval_ms.max(50)),
        proxy_id: AtomicI64::new(0),
        report_now: tokio::sync::Notify::new(),
        tcp_listeners: Mutex::new(HashMap::new()),
        self_ref: Mutex::new(None),
    });
    *proxy.self_ref.lock().expect("self ref") = Some(Arc::downgrade(&proxy));
    let reg =
        proxy.register().await.map_err(|e| anyhow::anyhow!("registration with {} failed: {e}", cfg.control_plane))?;
    proxy.set_proxy_id(reg.proxy_id);
    tracing::info!(proxy_id = reg.proxy_id, cluster = reg.cluster_id, listen = %addr, admin = %admin_addr, workers, "proxy registered");
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    // Each worker on its own CPU, when there is one CPU per worker.
    let cpus = server::allowed_cpus().filter(|c| cfg.pin_workers && workers > 1 && c.len() == workers);
    let http_task = tokio::spawn(server::serve_http(proxy.clone(), per_worker, cpus, tls, stop_rx.clone()));
    let tasks = vec![
        tokio::spawn(server::serve_admin(proxy.clone(), admin_listener, stop_rx)),
        tokio::spawn(proxy.clone().sync_loop()),
        tokio::spawn(proxy.clone().report_loop()),
    ];
    Ok(Running { addr, admin_addr, proxy, stop, tasks, http_task })
}
