//! `marchproxy`: one binary, one subcommand per role.
#![deny(unsafe_code)]

use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "marchproxy", version, about = "MarchProxy: traffic control for data-center and multi-cloud services")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the control plane (API server, web UI, health monitor) with a local proxy.
    Serve {
        #[command(flatten)]
        cfg: marchproxy_control_plane::ServeConfig,
        #[command(flatten)]
        shutdown: ShutdownArgs,
    },
    /// Run a data-plane proxy of one cluster.
    Proxy {
        #[command(flatten)]
        cfg: marchproxy_proxy::ProxyConfig,
        #[command(flatten)]
        shutdown: ShutdownArgs,
    },
    /// Apply the database migrations and exit (a Kubernetes Job or init container; `serve`
    /// also migrates on start).
    Migrate {
        /// PostgreSQL URL; without it, the SQLite file in the data directory.
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
        #[arg(long, env = "MARCHPROXY_DATA_DIR", default_value = "./data")]
        data_dir: std::path::PathBuf,
    },
    /// Operator tasks on the database: users, passwords, roles, cluster keys, the license
    /// (takes `serve`'s settings: DATABASE_URL, MARCHPROXY_DATA_DIR, RELEASE_MODE, LICENSE_*).
    Admin {
        #[command(flatten)]
        cfg: marchproxy_control_plane::ServeConfig,
        #[command(subcommand)]
        cmd: marchproxy_control_plane::admin_cli::AdminCommand,
    },
    /// Exit 0 when URL answers a GET with 2xx within the timeout, 1 otherwise: a container
    /// HEALTHCHECK that needs no curl in the image.
    Health {
        /// e.g. http://127.0.0.1:8000/readyz
        url: String,
        #[arg(long, default_value_t = 3)]
        timeout_seconds: u64,
    },
}

/// How a server stops on SIGTERM or Ctrl-C.
#[derive(clap::Args, Clone, Copy)]
struct ShutdownArgs {
    /// Seconds between readiness turning false and the listener closing, so load balancers
    /// (a Kubernetes Service's endpoints) stop sending new requests first.
    #[arg(long, env = "MARCHPROXY_SHUTDOWN_DELAY_SECONDS", default_value_t = 0)]
    shutdown_delay_seconds: u64,
    /// Seconds requests in progress get to finish once the listener is closed; then the
    /// rest are cut.
    #[arg(long, env = "MARCHPROXY_SHUTDOWN_GRACE_SECONDS", default_value_t = 20)]
    shutdown_grace_seconds: u64,
}

impl ShutdownArgs {
    fn delay(&self) -> Duration {
        Duration::from_secs(self.shutdown_delay_seconds)
    }
    fn grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_seconds)
    }
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MARCHPROXY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Keep glibc's mmap threshold at its 128 KiB default instead of letting it grow: by
/// default, freeing a large block (Argon2's 19 MiB per password hash) raises the threshold,
/// and the next such blocks are then carved from an arena that never shrinks, so the control
/// plane's RSS grew with every few logins. Large blocks stay mmap'd and go back to the OS
/// when freed (docs/BENCHMARKS.md, control-plane API, "What changed").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn fix_malloc_thresholds(proxy: bool) {
    const M_MMAP_THRESHOLD: libc::c_int = -3;
    // The proxy: two arenas. Each thread's tcache already serves small blocks without
    // locking, and fewer arenas fragment less. Not for the control plane: its SQLite worker
    // threads would contend on the arena locks (both measured in docs/BENCHMARKS.md, data
    // plane, "What changed since the first measurement", item 5).
    const M_ARENA_MAX: libc::c_int = -8;
    // SAFETY: mallopt only changes allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        if proxy {
            libc::mallopt(M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fix_malloc_thresholds(_proxy: bool) {}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    fix_malloc_thresholds(matches!(cli.command, Command::Proxy { .. }));
    // The proxy's HTTP path runs on its own worker threads (see marchproxy_proxy::server);
    // the main runtime carries the control plane, the proxy's sync and reports, and the L4
    // (TCP service) listeners.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("marchproxy: error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Serve { cfg, shutdown } => {
                init_logs(cfg.log_format == "json");
                serve(cfg, shutdown).await
            }
            Command::Proxy { cfg, shutdown } => {
                init_logs(std::env::var("MARCHPROXY_LOG_FORMAT").is_ok_and(|f| f == "json"));
                proxy(cfg, shutdown).await
            }
            Command::Migrate { database_url, data_dir } => {
                init_logs(std::env::var("MARCHPROXY_LOG_FORMAT").is_ok_and(|f| f == "json"));
                let url = database_url
                    .filter(|u| !u.trim().is_empty())
                    .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("marchproxy.db").display()));
                marchproxy_control_plane::migrate(&url).await?;
                println!("marchproxy: migrations applied");
                Ok(())
            }
            Command::Admin { cfg, cmd } => {
                // Logs go to stderr (warnings unless MARCHPROXY_LOG says otherwise): stdout is
                // the command's answer.
                let filter = tracing_subscriber::EnvFilter::try_from_env("MARCHPROXY_LOG")
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
                tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter).init();
                marchproxy_control_plane::admin_cli::run(cfg, cmd).await
            }
            Command::Health { url, timeout_seconds } => health(&url, Duration::from_secs(timeout_seconds)).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("marchproxy: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(cfg: marchproxy_control_plane::ServeConfig, stop: ShutdownArgs) -> anyhow::Result<()> {
    let admin_user = cfg.admin_user.clone();
    let proxy_listen = cfg.proxy_listen.clone();
    let proxy_admin = cfg.proxy_admin_listen.clone();
    let outbound = cfg.outbound.clone();
    let running = marchproxy_control_plane::start(cfg).await?;
    let addr = running.addr;
    let host = if addr.ip().is_unspecified() { "localhost".to_string() } else { addr.ip().to_string() };
    let boot = &running.bootstrapped;
    println!("MarchProxy control plane listening on {addr}");
    println!("  Web UI:   http://{host}:{}/", addr.port());
    println!("  API docs: http://{host}:{}/api/v1/docs", addr.port());
    if let Some(pw) = &boot.generated_admin_password {
        println!("  Admin:    user `{admin_user}`, password `{pw}` (generated; shown only this once)");
    } else if boot.admin_created {
        println!("  Admin:    user `{admin_user}`, password from MARCHPROXY_ADMIN_PASSWORD");
    }
    if let Some(key) = &boot.default_cluster_key {
        println!("  Cluster `default` (id 1) proxy API key: {key} (shown only this once)");
    }
    let license = running.state.license.status();
    println!("  License:  {:?} ({:?})", license.tier, license.source);
    // Single-process mode: a local proxy attached to the default cluster.
    let local = if proxy_listen.eq_ignore_ascii_case("off") {
        None
    } else {
        let token = running.state.auth.issue_proxy_token(1);
        let mut pc =
            marchproxy_proxy::ProxyConfig::new(format!("http://127.0.0.1:{}", addr.port()), token, proxy_listen);
        pc.name = Some("local".into());
        pc.admin_listen = proxy_admin;
        pc.outbound = outbound;
        match marchproxy_proxy::start(pc).await {
            Ok(p) => {
                println!(
                    "  Proxy:    http://{host}:{}/ (cluster `default`), metrics at http://{}/metrics",
                    p.addr.port(),
                    p.admin_addr
                );
                Some(p)
            }
            Err(e) => {
                eprintln!("marchproxy: the local proxy did not start: {e:#}");
                None
            }
        }
    };
    shutdown_signal().await;
    tracing::info!("shutting down");
    // Both drain at once: readiness false, the delay, then requests in progress finish.
    let local = async {
        match local {
            Some(p) => p.drain(stop.delay(), stop.grace()).await,
            None => true,
        }
    };
    let (local_ok, api_ok) = tokio::join!(local, running.drain(stop.delay(), stop.grace()));
    if !(local_ok && api_ok) {
        tracing::warn!("some requests did not finish within the shutdown grace period");
    }
    Ok(())
}

async fn proxy(cfg: marchproxy_proxy::ProxyConfig, stop: ShutdownArgs) -> anyhow::Result<()> {
    let running = marchproxy_proxy::start(cfg).await?;
    println!("MarchProxy proxy listening on {} (admin {})", running.addr, running.admin_addr);
    shutdown_signal().await;
    tracing::info!("shutting down");
    if !running.drain(stop.delay(), stop.grace()).await {
        tracing::warn!("some requests did not finish within the shutdown grace period");
    }
    Ok(())
}

/// `marchproxy health URL`: a GET with a deadline; Ok for 2xx.
async fn health(url: &str, timeout: Duration) -> anyhow::Result<()> {
    let client =
        reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()).no_proxy().build()?;
    let resp = client.get(url).send().await.map_err(|e| anyhow::anyhow!("{url}: {}", e.without_url()))?;
    let status = resp.status();
    anyhow::ensure!(status.is_success(), "{url} answered HTTP {}", status.as_u16());
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
