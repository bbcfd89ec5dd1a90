//! Failure drills that need a database of their own: a private PostgreSQL server (initdb in
//! a temporary directory, on its own port) that the test stops and starts under load.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::json;

/// A PostgreSQL server of this test's own (as the `postgres` user: initdb refuses root).
struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

fn as_postgres(bin: &Path, tool: &str, args: &[&str]) -> std::process::Output {
    let mut c = if is_root() { Command::new("runuser") } else { Command::new(bin.join(tool)) };
    if is_root() {
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
    }
    c.args(args).output().expect("PostgreSQL's tools run")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

impl PrivatePostgres {
    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed (apt-get install postgresql)")
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .find(|b| b.join("initdb").exists())
            .expect("initdb");
        let dir = temp_dir();
        let data = dir.join("pgdata");
        if is_root() {
            let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
        }
        let out = as_postgres(&bin, "initdb", &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "postgres"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = PrivatePostgres { bin, data, port };
        pg.pg_ctl("start");
        pg
    }

    fn pg_ctl(&self, action: &str) {
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.data.display());
        let log = self.data.join("log");
        let mut args = vec![action, "-D", self.data.to_str().unwrap(), "-w", "-m", "fast"];
        if action != "stop" {
            args.extend(["-o", &opts, "-l", log.to_str().unwrap()]);
        }
        let out = as_postgres(&self.bin, "pg_ctl", &args);
        assert!(out.status.success(), "pg_ctl {action}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin, "pg_ctl", &["stop", "-D", self.data.to_str().unwrap(), "-m", "immediate"]);
    }
}

/// Drill: PostgreSQL stops under traffic and comes back. While it is down the API answers
/// 503 (not 500) and the proxy keeps serving; when it returns the control plane recovers by
/// itself, and the proxy's traffic reports, retried with their ids, are all applied once:
/// cost analytics count every byte exactly once.
#[tokio::test]
async fn postgres_restarted_under_load_loses_no_report() {
    let pg = PrivatePostgres::start();
    let mut cfg = config().await;
    cfg.database_url = Some(pg.url());
    let cp = ControlPlane::start_with(cfg).await;
    let up = Upstream::start("a").await;
    let svc = cp.service("web", "web.example.com").await;
    cp.route_table(svc, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    let p = proxy(&cp, |_| {}).await;
    synced(&cp, &p).await;
    let c = client();
    let mut sent = 0u64;
    let mut send = async |n: usize| {
        for _ in 0..n {
            let (s, body, _) = get(&c, &p, "web.example.com", "/bytes/10000").await;
            assert_eq!((s, body.len()), (200, 10_000), "traffic keeps flowing");
            sent += 10_000;
        }
    };
    send(10).await;

    pg.pg_ctl("stop");
    let down = Instant::now();
    send(10).await;
    let (s, body) = cp.get("/api/v1/services").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "the API says the database is away: {body}");
    let (s, _) = cp.http.get(format!("{}/readyz", cp.base)).send().await.map(|r| (r.status(), ())).unwrap();
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(down.elapsed())).await;
    pg.pg_ctl("start");
    send(10).await;

    // Recovered by itself, and every byte counted once.
    eventually(Duration::from_secs(15), || async { cp.get("/api/v1/services").await.0 == StatusCode::OK }).await;
    let want = sent as i64;
    eventually(Duration::from_secs(15), || async {
        cp.get_ok("/api/v1/multi-cloud/analytics/cost?days=1").await["providers"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["provider"] == "aws").map(|x| x["egress_bytes"] == json!(want)))
            .unwrap_or(false)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = cp.get_ok("/api/v1/multi-cloud/analytics/cost?days=1").await;
    let aws = again["providers"].as_array().unwrap().iter().find(|x| x["provider"] == "aws").unwrap().clone();
    assert_eq!(
        (aws["egress_bytes"].as_i64(), aws["requests"].as_i64()),
        (Some(want), Some(30)),
        "no report lost or doubled"
    );
    p.shutdown().await;
    cp.shutdown().await;
}
