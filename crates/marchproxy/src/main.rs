//! `marchproxy`: one binary, one subcommand per role.
#![forbid(unsafe_code)]

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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(cfg) => {
            init_logs(cfg.log_format == "json");
            serve(cfg).await
        }
    };
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
