//! Tests that read process-wide state (the worker-yield counter, the threads of the test
//! process) and so must not share the process with other proxies: each holds [`ALONE`]
//! while it runs, and no other test of this binary starts a proxy. Kept apart from
//! routing.rs, whose tests run in parallel in one process under `cargo test`.

mod common;

use std::time::Duration;

use common::*;

/// Held by each test for its whole run.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A worker that runs without blocking for `worker_yield_us` yields its CPU at its next
/// idle point (pace.rs); 0 never yields. (The yield count is per process: the proxy that
/// must not yield runs first, and no other proxy runs meanwhile.)
#[tokio::test]
async fn a_busy_worker_yields_its_cpu() {
    let _alone = ALONE.lock().await;
    let (cp, _up, p) = web_behind_proxy(|c| {
        c.workers = Some(1);
        c.worker_yield_us = 0;
    })
    .await;
    concurrent_load(p.addr, 32, 20).await;
    assert_eq!(metric(&p, "marchproxy_worker_yields_total").await, 0);
    p.shutdown().await;
    // 1 µs: every idle point that follows a request's processing yields.
    let p = proxy(&cp, |c| {
        c.workers = Some(1);
        c.worker_yield_us = 1;
    })
    .await;
    synced(&cp, &p).await;
    concurrent_load(p.addr, 32, 20).await;
    assert!(metric(&p, "marchproxy_worker_yields_total").await > 0);
}

/// With `pin_workers` and one worker per CPU, each worker thread runs on its own CPU only;
/// by default the workers may run anywhere.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn workers_are_pinned_one_per_cpu() {
    let _alone = ALONE.lock().await;
    let cpus: Vec<usize> = marchproxy_proxy::server::allowed_cpus().expect("the allowed CPUs");
    if cpus.len() < 2 {
        // One CPU: one worker, nothing to pin (the proxy pins only with two workers or more).
        return;
    }
    let (cp, _up, _svc) = one_upstream_service("a", "web", "web.example.com").await;
    // Worker threads of every proxy in this process, by name: CPUs each may run on.
    let affinity = || -> Vec<(String, String)> {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|t| {
                let t = t.ok()?.path();
                let name = std::fs::read_to_string(t.join("comm")).ok()?.trim().to_string();
                let status = std::fs::read_to_string(t.join("status")).ok()?;
                let cpus = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?.trim().to_string();
                name.starts_with("marchproxy-w").then_some((name, cpus))
            })
            .collect()
    };
    let p = proxy(&cp, |c| {
        c.workers = Some(cpus.len());
        c.pin_workers = true;
    })
    .await;
    // The worker threads start right after the proxy does.
    eventually(Duration::from_secs(5), || async { affinity().len() == cpus.len() }).await;
    let mut pinned = affinity();
    pinned.sort();
    assert_eq!(pinned.len(), cpus.len(), "{pinned:?}");
    for (i, (name, allowed)) in pinned.iter().enumerate() {
        assert_eq!(
            (name.as_str(), allowed.as_str()),
            (format!("marchproxy-w{i}").as_str(), cpus[i].to_string().as_str())
        );
    }
    p.shutdown().await;
    eventually(Duration::from_secs(5), || async { affinity().is_empty() }).await;
    let p = proxy(&cp, |c| c.workers = Some(cpus.len())).await;
    eventually(Duration::from_secs(5), || async { affinity().len() == cpus.len() }).await;
    let all = affinity();
    assert!(all.iter().all(|(_, allowed)| allowed.contains(['-', ','])), "not pinned: {all:?}");
    drop(p);
}
