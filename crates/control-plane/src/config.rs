//! `marchproxy serve` settings: each is a `--flag` and an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use marchproxy_outbound::{CidrList, OutboundArgs};

#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Address of the API server and web UI.
    #[arg(long, env = "MARCHPROXY_LISTEN", default_value = "0.0.0.0:8000")]
    pub listen: SocketAddr,

    /// Database URL: sqlite://path (default: ./data/marchproxy.db) or postgres://...
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Redis URL, used to coordinate several control-plane replicas.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// JWT signing secret. Required in release mode; generated and kept in the data
    /// directory in development mode.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Enterprise license key (PENG-XXXX-XXXX-XXXX-XXXX-XXXX).
    #[arg(long, env = "LICENSE_KEY", hide_env_values = true)]
    pub license_key: Option<String>,

    /// License server base URL.
    #[arg(long, env = "LICENSE_SERVER_URL", default_value = "https://license.penguintech.io")]
    pub license_server_url: String,

    /// Signed offline license document (air-gapped installs).
    #[arg(long, env = "LICENSE_FILE")]
    pub license_file: Option<PathBuf>,

    /// Base64 Ed25519 public key that verifies LICENSE_FILE (default: PenguinTech's).
    #[arg(long, env = "LICENSE_PUBLIC_KEY")]
    pub license_public_key: Option<String>,

    /// Enforce licensing (true in production).
    #[arg(long, env = "RELEASE_MODE", default_value_t = false, action = clap::ArgAction::Set)]
    pub release_mode: bool,

    /// Bootstrap admin user name.
    #[arg(long, env = "MARCHPROXY_ADMIN_USER", default_value = "admin")]
    pub admin_user: String,

    /// Bootstrap admin password (default: random, printed once on first start).
    #[arg(long, env = "MARCHPROXY_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Directory for the SQLite database and the development secret.
    #[arg(long, env = "MARCHPROXY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Serve the web UI from this directory instead of the copy built into the binary.
    #[arg(long, env = "MARCHPROXY_WEB_DIR")]
    pub web_dir: Option<PathBuf>,

    /// Listener of the local proxy attached to the default cluster (single-process mode);
    /// `off` to run the control plane alone.
    #[arg(long, env = "MARCHPROXY_PROXY_LISTEN", default_value = "0.0.0.0:8080")]
    pub proxy_listen: String,

    /// Admin listener (metrics) of the local proxy.
    #[arg(long, env = "MARCHPROXY_PROXY_ADMIN_LISTEN", default_value = "127.0.0.1:9901")]
    pub proxy_admin_listen: String,

    /// How often a long-poll re-checks the database for changes made by other replicas
    /// (milliseconds; Redis makes this wake-up immediate).
    #[arg(long, env = "MARCHPROXY_CONFIG_RECHECK_MS", default_value_t = 1000, hide = true)]
    pub config_recheck_ms: u64,

    /// On first start, point the default cluster's tracing at the built-in span store.
    #[arg(long, env = "MARCHPROXY_STARTER_TRACING", default_value_t = true, action = clap::ArgAction::Set)]
    pub starter_tracing: bool,

    /// Origins allowed to call the API from a browser (comma-separated, e.g. the web UI
    /// running standalone at http://localhost:5173); none by default (same origin only).
    #[arg(long, env = "MARCHPROXY_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Peers whose `X-Forwarded-For` decides the client address (comma-separated CIDRs or
    /// addresses: the ingress or load balancer in front of the API). From any other peer
    /// the header is ignored, so a client cannot pick the address its failed logins count
    /// against. None by default.
    #[arg(long, env = "MARCHPROXY_TRUSTED_PROXIES", default_value = "", hide_default_value = true)]
    pub trusted_proxies: CidrList,

    /// Most health probes in flight at once, whatever the number of endpoints (each
    /// endpoint's probes keep their place in its interval; a probe waiting for a slot starts
    /// late, which `marchproxy_health_probe_lag_seconds` shows).
    #[arg(long, env = "MARCHPROXY_HEALTH_MAX_CONCURRENT_PROBES", default_value_t = 256)]
    pub health_max_concurrent_probes: usize,

    /// Log format: `text` or `json`.
    #[arg(long, env = "MARCHPROXY_LOG_FORMAT", default_value = "text")]
    pub log_format: String,

    /// Where health probes, span search, test spans, the license client and the local
    /// proxy's span exporters may connect (MARCHPROXY_OUTBOUND_*).
    #[command(flatten)]
    pub outbound: OutboundArgs,

    #[command(flatten)]
    pub http: HttpLimits,

    #[command(flatten)]
    pub ingest: IngestLimits,
}

/// Limits of the API's HTTP server (slow or idle clients cannot hold it).
#[derive(Debug, Clone, clap::Args)]
pub struct HttpLimits {
    /// Seconds a client has to send a complete request head, from the first byte of the
    /// request (from the connection's start for its first request); then it is closed.
    #[arg(long = "api-header-timeout-seconds", env = "MARCHPROXY_API_HEADER_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_timeout_seconds: u64,

    /// Seconds a request may take, body included, before it is answered 408. The proxies'
    /// configuration long-poll, which waits up to 60 s by design, gets 60 s more than this.
    #[arg(long = "api-request-timeout-seconds", env = "MARCHPROXY_API_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,

    /// Seconds a kept-alive connection may sit idle between requests (or stall a response
    /// its client does not read) before it is closed.
    #[arg(long = "api-idle-timeout-seconds", env = "MARCHPROXY_API_IDLE_TIMEOUT_SECONDS", default_value_t = 60)]
    pub idle_timeout_seconds: u64,

    /// Most client connections open at once (at most half the process's open-file limit).
    /// At the cap, a new connection replaces the oldest one that has no request in
    /// progress; when every connection is busy, it waits.
    #[arg(long = "api-max-connections", env = "MARCHPROXY_API_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout_seconds: 10,
            request_timeout_seconds: 30,
            idle_timeout_seconds: 60,
            max_connections: 4096,
        }
    }
}

/// Bounds of the OTLP receiver (`POST /v1/traces`) and of the embedded span store.
#[derive(Debug, Clone, clap::Args)]
pub struct IngestLimits {
    /// Largest export request body (bytes); larger is answered 413.
    #[arg(long = "ingest-max-body-bytes", env = "MARCHPROXY_INGEST_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Most spans in one export request; more is answered 413.
    #[arg(long = "ingest-max-spans", env = "MARCHPROXY_INGEST_MAX_SPANS", default_value_t = 10_000)]
    pub max_spans: usize,

    /// Largest attributes of one span as stored (JSON bytes, the resource's attributes
    /// included); a larger span fails its request with 413.
    #[arg(long = "ingest-max-span-attribute-bytes", env = "MARCHPROXY_INGEST_MAX_SPAN_ATTRIBUTE_BYTES", default_value_t = 256 * 1024)]
    pub max_span_attribute_bytes: usize,

    /// Largest attributes of one request's spans together, as stored (so a large resource
    /// cannot be copied into thousands of spans); more is answered 413.
    #[arg(long = "ingest-max-attribute-bytes", env = "MARCHPROXY_INGEST_MAX_ATTRIBUTE_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_request_attribute_bytes: usize,

    /// Spans accepted but not yet stored, in bytes; beyond it exports are answered 429
    /// (retryable) until the store catches up.
    #[arg(long = "ingest-queue-bytes", env = "MARCHPROXY_INGEST_QUEUE_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub queue_bytes: usize,

    /// Most spans the embedded store keeps; the oldest are evicted.
    #[arg(long = "span-store-max-rows", env = "MARCHPROXY_SPAN_STORE_MAX_ROWS", default_value_t = 200_000)]
    pub store_max_rows: i64,

    /// Most bytes (as stored) the embedded store keeps; the oldest spans are evicted.
    #[arg(long = "span-store-max-bytes", env = "MARCHPROXY_SPAN_STORE_MAX_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub store_max_bytes: i64,

    /// Redact received spans before storing them: secret-looking URL query values and
    /// captured credential headers, whoever sent the span (`false` stores them as sent).
    #[arg(long = "ingest-redact-secrets", env = "MARCHPROXY_INGEST_REDACT_SECRETS", default_value_t = true, action = clap::ArgAction::Set)]
    pub redact_secrets: bool,
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 * 1024 * 1024,
            max_spans: 10_000,
            max_span_attribute_bytes: 256 * 1024,
            max_request_attribute_bytes: 32 * 1024 * 1024,
            queue_bytes: 64 * 1024 * 1024,
            store_max_rows: 200_000,
            store_max_bytes: 256 * 1024 * 1024,
            redact_secrets: true,
        }
    }
}

impl ServeConfig {
    /// Settings for tests and embedding: everything default, nothing read from the environment.
    pub fn for_tests(data_dir: PathBuf, database_url: String) -> Self {
        Self {
            listen: "127.0.0.1:0".parse().expect("literal address"),
            database_url: Some(database_url),
            redis_url: None,
            secret_key: Some("test-secret-test-secret-test-secret".into()),
            license_key: None,
            license_server_url: "http://127.0.0.1:9".into(),
            license_file: None,
            license_public_key: None,
            release_mode: false,
            admin_user: "admin".into(),
            admin_password: Some("Correct-Horse-42".into()),
            data_dir,
            web_dir: None,
            proxy_listen: "off".into(),
            proxy_admin_listen: "127.0.0.1:0".into(),
            starter_tracing: false,
            config_recheck_ms: 1000,
            cors_origins: vec![],
            log_format: "text".into(),
            trusted_proxies: CidrList::default(),
            health_max_concurrent_probes: 256,
            outbound: OutboundArgs::default(),
            http: HttpLimits::default(),
            ingest: IngestLimits::default(),
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("marchproxy.db").display()))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        http: HttpLimits,
        #[command(flatten)]
        ingest: IngestLimits,
    }

    /// `for_tests` and embedders use `Default`; it must say what the flags say.
    #[test]
    fn defaults_are_the_flags_defaults() {
        let f = Flags::try_parse_from(["marchproxy"]).unwrap();
        assert_eq!(format!("{:?}", f.http), format!("{:?}", HttpLimits::default()));
        assert_eq!(format!("{:?}", f.ingest), format!("{:?}", IngestLimits::default()));
    }
}
