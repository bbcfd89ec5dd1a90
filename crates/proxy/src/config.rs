//! `marchproxy proxy` settings: each is a `--flag` and an environment variable.

use std::path::PathBuf;
use std::time::Duration;

use marchproxy_outbound::OutboundArgs;

#[derive(Debug, Clone, clap::Args)]
pub struct ProxyConfig {
    /// URL of the control plane, e.g. http://control-plane:8000; several replicas as a
    /// comma-separated list (calls fail over between them).
    #[arg(long, env = "MARCHPROXY_CONTROL_PLANE", default_value = "http://127.0.0.1:8000")]
    pub control_plane: String,

    /// The cluster's proxy API key (shown when the cluster was created).
    #[arg(long, env = "MARCHPROXY_CLUSTER_API_KEY", hide_env_values = true)]
    pub cluster_api_key: String,

    /// HTTP listener for proxied traffic.
    #[arg(long, env = "MARCHPROXY_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: String,

    /// Admin listener: Prometheus `/metrics`, `/healthz`, `/ready`.
    #[arg(long, env = "MARCHPROXY_ADMIN_LISTEN", default_value = "127.0.0.1:9901")]
    pub admin_listen: String,

    /// This proxy's name in its cluster (default: host name).
    #[arg(long, env = "MARCHPROXY_NAME")]
    pub name: Option<String>,

    /// Where this proxy runs, as `provider:region` (e.g. aws:us-east-1), for geo routing.
    #[arg(long, env = "MARCHPROXY_REGION")]
    pub region: Option<String>,

    /// Latitude of this proxy (with --longitude), instead of --region.
    #[arg(long, env = "MARCHPROXY_LATITUDE", allow_hyphen_values = true)]
    pub latitude: Option<f64>,

    #[arg(long, env = "MARCHPROXY_LONGITUDE", allow_hyphen_values = true)]
    pub longitude: Option<f64>,

    /// PEM bundle of extra CAs trusted for https endpoints.
    #[arg(long, env = "MARCHPROXY_UPSTREAM_CA")]
    pub upstream_ca: Option<PathBuf>,

    /// PEM certificate chain for TLS on the listener (HTTP/2 via ALPN).
    #[arg(long, env = "MARCHPROXY_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for TLS on the listener.
    #[arg(long, env = "MARCHPROXY_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// Upstream response timeout in seconds (504 after it).
    #[arg(long, env = "MARCHPROXY_UPSTREAM_TIMEOUT_SECONDS", default_value_t = 30)]
    pub upstream_timeout_seconds: u64,

    /// How long a client may take to send a request head, and how long an idle keep-alive
    /// connection stays open, in milliseconds (checked once per period, so a connection is
    /// cut between one and two periods).
    #[arg(long, env = "MARCHPROXY_HEADER_TIMEOUT_MS", default_value_t = 30_000)]
    pub header_timeout_ms: u64,

    /// How long an upgraded connection (WebSocket) may stay silent in both directions
    /// before the proxy closes it, in seconds (checked once per period, so a silent tunnel
    /// is closed between one and two periods).
    #[arg(long, env = "MARCHPROXY_TUNNEL_IDLE_TIMEOUT_SECONDS", default_value_t = 3600)]
    pub tunnel_idle_timeout_seconds: u64,

    /// How long a client may pause while sending a request body, in milliseconds: the next
    /// bytes must arrive within this, or the request ends with a 408 (the endpoint is not
    /// blamed). The upstream timeout only starts once the body is sent.
    #[arg(long, env = "MARCHPROXY_CLIENT_BODY_TIMEOUT_MS", default_value_t = 60_000)]
    pub client_body_timeout_ms: u64,

    /// How long a client may leave response bytes unread, in milliseconds: a write to it
    /// that makes no progress for this long drops the connection (and frees its upstream
    /// connection).
    #[arg(long, env = "MARCHPROXY_SEND_TIMEOUT_MS", default_value_t = 60_000)]
    pub send_timeout_ms: u64,

    /// How long a TCP (L4) connection may stay silent in both directions before the proxy
    /// closes it, in seconds (checked once per period: closed between one and two periods).
    #[arg(long, env = "MARCHPROXY_TCP_IDLE_TIMEOUT_SECONDS", default_value_t = 3600)]
    pub tcp_idle_timeout_seconds: u64,

    /// How long an HTTP/2 client connection may carry no request before the proxy closes it
    /// gracefully (GOAWAY), in seconds.
    #[arg(long, env = "MARCHPROXY_H2_IDLE_TIMEOUT_SECONDS", default_value_t = 300)]
    pub h2_idle_timeout_seconds: u64,

    /// Interval of HTTP/2 keep-alive PINGs to clients, in seconds (0: none); a client that
    /// does not answer one within the same interval is disconnected.
    #[arg(long, env = "MARCHPROXY_H2_KEEPALIVE_SECONDS", default_value_t = 30)]
    pub h2_keepalive_seconds: u64,

    /// Redact secret-looking URL query values (token, key, secret, signature, sig, code,
    /// password, auth, session …) in the spans the proxy records (`url.query`, `url.full`).
    #[arg(long, env = "MARCHPROXY_TRACE_REDACT_QUERY", default_value_t = true, action = clap::ArgAction::Set)]
    pub trace_redact_query: bool,

    /// Proxy-wide capacity shared by shaped traffic, in Mbps; enables P0–P3 scheduling.
    #[arg(long, env = "MARCHPROXY_LINK_MBPS")]
    pub link_mbps: Option<f64>,

    /// How often traffic counters are reported to the control plane, in milliseconds.
    #[arg(long, env = "MARCHPROXY_REPORT_INTERVAL_MS", default_value_t = 1000)]
    pub report_interval_ms: u64,

    /// How often the proxy leases its shares of cluster-scope bandwidth limits from the
    /// control plane, in milliseconds (50–10000). A share lasts three intervals; a demand
    /// change is followed within about two.
    #[arg(long, env = "MARCHPROXY_QOS_LEASE_INTERVAL_MS", default_value_t = 500)]
    pub qos_lease_interval_ms: u64,

    /// Worker threads serving the proxy listener (default: one per CPU). Each runs its own
    /// event loop, accept queue (SO_REUSEPORT) and upstream connection pools.
    #[arg(long, env = "MARCHPROXY_WORKERS")]
    pub workers: Option<usize>,

    /// Pin each worker thread to its own CPU (only when there are as many workers as CPUs
    /// this process may run on), like nginx's `worker_cpu_affinity` or HAProxy's `cpu-map`.
    /// Under a many-connection load two workers sharing a CPU for a time slice delay every
    /// request either holds, and pinning lowers the p99 there; but a pinned worker cannot
    /// move away from a CPU that other busy processes use, which slows a single fast stream
    /// (both measured in docs/BENCHMARKS.md). Off by default.
    #[arg(long, env = "MARCHPROXY_PIN_WORKERS", default_value_t = false, action = clap::ArgAction::Set)]
    pub pin_workers: bool,

    /// A worker that has run this many microseconds without blocking yields its CPU
    /// (sched_yield) the next time its queue is empty, so the clients and upstreams it has
    /// just woken on a shared CPU run before it takes the next events; 0 never yields. A
    /// worker that blocks often (a light load) never reaches it. Under a load that keeps
    /// the CPUs busy this lowers the p99 (measured in docs/BENCHMARKS.md).
    #[arg(long, env = "MARCHPROXY_WORKER_YIELD_US", default_value_t = 300)]
    pub worker_yield_us: u64,

    /// Where span exporters may connect (MARCHPROXY_OUTBOUND_*). Proxied traffic to
    /// upstreams and calls to the control plane are not subject to it.
    #[command(flatten)]
    pub outbound: OutboundArgs,
}

impl ProxyConfig {
    pub fn new(control_plane: String, cluster_api_key: String, listen: String) -> Self {
        Self {
            control_plane,
            cluster_api_key,
            listen,
            admin_listen: "127.0.0.1:0".into(),
            name: None,
            region: None,
            latitude: None,
            longitude: None,
            upstream_ca: None,
            tls_cert: None,
            tls_key: None,
            upstream_timeout_seconds: 30,
            header_timeout_ms: 30_000,
            tunnel_idle_timeout_seconds: 3600,
            client_body_timeout_ms: 60_000,
            send_timeout_ms: 60_000,
            tcp_idle_timeout_seconds: 3600,
            h2_idle_timeout_seconds: 300,
            h2_keepalive_seconds: 30,
            trace_redact_query: true,
            link_mbps: None,
            report_interval_ms: 1000,
            qos_lease_interval_ms: 500,
            workers: None,
            pin_workers: false,
            worker_yield_us: 300,
            outbound: OutboundArgs::default(),
        }
    }

    /// Worker threads: `--workers`, else one per CPU; at least 1, at most 256.
    pub fn worker_count(&self) -> usize {
        self.workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).clamp(1, 256)
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_millis(self.header_timeout_ms.max(100))
    }

    pub fn tunnel_idle_timeout(&self) -> Duration {
        Duration::from_secs(self.tunnel_idle_timeout_seconds.max(1))
    }

    pub fn client_body_timeout(&self) -> Duration {
        Duration::from_millis(self.client_body_timeout_ms.max(100))
    }

    pub fn send_timeout(&self) -> Duration {
        Duration::from_millis(self.send_timeout_ms.max(100))
    }

    pub fn tcp_idle_timeout(&self) -> Duration {
        Duration::from_secs(self.tcp_idle_timeout_seconds.max(1))
    }

    pub fn h2_idle_timeout(&self) -> Duration {
        Duration::from_secs(self.h2_idle_timeout_seconds.max(1))
    }

    /// None: no keep-alive pings.
    pub fn h2_keepalive(&self) -> Option<Duration> {
        (self.h2_keepalive_seconds > 0).then(|| Duration::from_secs(self.h2_keepalive_seconds))
    }

    pub fn upstream_timeout(&self) -> Duration {
        Duration::from_secs(self.upstream_timeout_seconds.max(1))
    }

    /// This proxy's coordinates, from --region or --latitude/--longitude.
    pub fn location(&self) -> anyhow::Result<Option<(f64, f64)>> {
        match (&self.region, self.latitude, self.longitude) {
            (Some(r), _, _) => Ok(Some(crate::regions::parse_location(r).map_err(anyhow::Error::msg)?)),
            (None, Some(lat), Some(lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {
                Ok(Some((lat, lon)))
            }
            (None, None, None) => Ok(None),
            _ => anyhow::bail!("--latitude and --longitude go together, within ±90 and ±180"),
        }
    }

    pub fn proxy_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/etc/hostname")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "proxy".into());
            format!("{host}-{}", self.listen.rsplit(':').next().unwrap_or("0"))
        })
    }
}
