//! `marchproxy`: one binary, one subcommand per role.
#![deny(unsafe_code)]

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
    Serve(marchproxy_control_plane::ServeConfig),
    /// Run a data-plane proxy of one cluster.
    Proxy(marchproxy_proxy::ProxyConfig),
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
    fix_malloc_thresholds(matches!(cli.command, Command::Proxy(_)));
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
            Command::Serve(cfg) => {
                init_logs(cfg.log_format == "json");
                serve(cfg).await
            }
            Command::Proxy(cfg) => {
                init_logs(std::env::var("MARCHPROXY_LOG_FORMAT").is_ok_and(|f| f == "json"));
                proxy(cfg).await
            }
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

async fn serve(cfg: marchproxy_control_plane::ServeConfig) -> anyhow::Result<()> {
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
    if let Some(p) = local {
        p.shutdown().await;
    }
    running.shutdown().await;
    Ok(())
}

async fn proxy(cfg: marchproxy_proxy::ProxyConfig) -> anyhow::Result<()> {
    let running = marchproxy_proxy::start(cfg).await?;
    println!("MarchProxy proxy listening on {} (admin {})", running.addr, running.admin_addr);
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await;
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
