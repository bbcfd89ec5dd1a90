//! Proxies under test: start one against a control plane (real or fake), wait until it runs
//! a configuration version, talk to it.

use std::time::Duration;

use marchproxy_proxy::{ProxyConfig, Running};

/// What a proxy needs of its control plane: where it is, the cluster's API key, and the
/// configuration version it currently serves. Both [`crate::ControlPlane`] and
/// [`crate::FakeController`] are one.
pub trait Controller {
    fn base(&self) -> &str;
    fn key(&self) -> &str;
    fn version(&self) -> impl std::future::Future<Output = i64>;
}

impl Controller for crate::ControlPlane {
    fn base(&self) -> &str {
        &self.base
    }
    fn key(&self) -> &str {
        &self.key
    }
    async fn version(&self) -> i64 {
        crate::ControlPlane::version(self).await
    }
}

/// Start a proxy of the cluster `base` serves with `key` (`tweak` its configuration): on
/// 127.0.0.1:0, reporting every 200 ms.
pub async fn proxy_of(base: &str, key: &str, tweak: impl FnOnce(&mut ProxyConfig)) -> Running {
    let mut cfg = ProxyConfig::new(base.to_string(), key.to_string(), "127.0.0.1:0".into());
    cfg.name = Some(format!("test-{}", rand::random::<u32>()));
    cfg.report_interval_ms = 200;
    tweak(&mut cfg);
    marchproxy_proxy::start(cfg).await.expect("proxy starts")
}

/// Start a proxy of `ctl`'s cluster.
pub async fn proxy(ctl: &impl Controller, tweak: impl FnOnce(&mut ProxyConfig)) -> Running {
    proxy_of(ctl.base(), ctl.key(), tweak).await
}

/// Wait until the proxy runs at least `version`.
pub async fn synced_to(p: &Running, version: i64) {
    crate::eventually(Duration::from_secs(5), || async {
        p.proxy.runtime.load().as_ref().map(|r| r.version).unwrap_or(0) >= version
    })
    .await;
}

/// Wait until the proxy runs at least `ctl`'s current version.
pub async fn synced(ctl: &impl Controller, p: &Running) {
    synced_to(p, ctl.version().await).await;
}

/// The proxy's Prometheus `/metrics` text.
pub async fn metrics(p: &Running) -> String {
    reqwest::get(format!("http://{}/metrics", p.admin_addr)).await.unwrap().text().await.unwrap()
}

/// A counter or gauge without labels from the proxy's `/metrics`.
pub async fn metric(p: &Running, name: &str) -> u64 {
    let m = metrics(p).await;
    let line = m.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{name}: {m}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// A client for talking to proxies (Host headers set per request).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap()
}

/// GET `path` through the proxy as `host`: status, body, and the proxy's error header.
/// A request that fails outright gives status 0 and the error's text.
pub async fn get(c: &reqwest::Client, p: &Running, host: &str, path: &str) -> (u16, String, Option<String>) {
    match c.get(format!("http://{}{path}", p.addr)).header("host", host).send().await {
        Ok(r) => {
            let s = r.status().as_u16();
            let e = r.headers().get("x-marchproxy-error").map(|v| v.to_str().unwrap().to_string());
            (s, r.text().await.unwrap_or_default(), e)
        }
        Err(e) => (0, e.to_string(), None),
    }
}
