//! `marchproxy serve` settings: each is a `--flag` and an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use marchproxy_outbound::OutboundArgs;

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

    /// Log format: `text` or `json`.
    #[arg(long, env = "MARCHPROXY_LOG_FORMAT", default_value = "text")]
    pub log_format: String,

    /// Where health probes, span search, test spans, the license client and the local
    /// proxy's span exporters may connect (MARCHPROXY_OUTBOUND_*).
    #[command(flatten)]
    pub outbound: OutboundArgs,
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
            admin_password: Some("admin-password".into()),
            data_dir,
            web_dir: None,
            proxy_listen: "off".into(),
            proxy_admin_listen: "127.0.0.1:0".into(),
            starter_tracing: false,
            config_recheck_ms: 1000,
            cors_origins: vec![],
            log_format: "text".into(),
            outbound: OutboundArgs::default(),
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("marchproxy.db").display()))
    }
}
