//! Setups several tests share.

use marchproxy_proxy::{ProxyConfig, Running};
use serde_json::{Value, json};

use crate::proxy::{client, proxy, synced};
use crate::{ControlPlane, FakeController, Upstream};

/// A route to `up` as the API takes it (weight 100, $0.05/GB, active).
pub fn route(up: &Upstream, provider: &str, region: &str) -> Value {
    json!({"provider": provider, "region": region, "endpoint": up.url(), "weight": 100, "cost_per_gb": 0.05, "is_active": true})
}

/// A health probe that will not interfere: a TCP probe once an hour.
pub fn quiet_probe() -> Value {
    json!({"protocol": "tcp", "interval_seconds": 3600, "timeout_seconds": 5, "unhealthy_threshold": 3, "healthy_threshold": 2})
}

/// A control plane with one HTTP service (`service`, `host`) whose failover route table
/// sends everything to one upstream named `upstream` (aws us-east-1, quiet probe); the
/// service id too.
pub async fn one_upstream_service(upstream: &str, service: &str, host: &str) -> (ControlPlane, Upstream, i64) {
    let cp = ControlPlane::start().await;
    let up = Upstream::start(upstream).await;
    let svc = cp.service(service, host).await;
    cp.route_table(svc, "failover", vec![route(&up, "aws", "us-east-1")], quiet_probe()).await;
    (cp, up, svc)
}

/// Upstream "a" behind service "web" (web.example.com) of a [`FakeController`], and a proxy
/// of it (`tweak` its configuration) that runs that configuration: for tests of the proxy
/// alone.
pub async fn web_behind_proxy(tweak: impl FnOnce(&mut ProxyConfig)) -> (FakeController, Upstream, Running) {
    let ctl = FakeController::start().await;
    let up = Upstream::start("a").await;
    ctl.service("web", "web.example.com", &[up.url()]);
    let p = proxy(&ctl, tweak).await;
    synced(&ctl, &p).await;
    (ctl, up, p)
}

/// `clients` concurrent clients each sending `each` requests to the proxy at `p_addr` for
/// the service of [`web_behind_proxy`]; every response must be whole.
pub async fn concurrent_load(p_addr: std::net::SocketAddr, clients: usize, each: usize) {
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            tokio::spawn(async move {
                let c = client();
                for _ in 0..each {
                    let r = c.get(format!("http://{p_addr}/")).header("host", "web.example.com").send().await.unwrap();
                    assert_eq!(r.status(), 200);
                    assert_eq!(r.text().await.unwrap(), "a");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// Two upstreams, "a" (aws us-east-1) and "b" (gcp us-central1), in that order in the route
/// table of service "web" (web.example.com), and a proxy that runs that configuration.
pub struct TwoRegions {
    pub cp: ControlPlane,
    pub a: Upstream,
    pub b: Upstream,
    pub service: i64,
    pub table: i64,
    pub proxy: Running,
}

impl TwoRegions {
    /// With `algorithm` and health `probe`; `tweak` the proxy's configuration.
    pub async fn start(algorithm: &str, probe: Value, tweak: impl FnOnce(&mut ProxyConfig)) -> Self {
        let cp = ControlPlane::start().await;
        let (a, b) = (Upstream::start("a").await, Upstream::start("b").await);
        let service = cp.service("web", "web.example.com").await;
        let routes = vec![route(&a, "aws", "us-east-1"), route(&b, "gcp", "us-central1")];
        let table = cp.route_table(service, algorithm, routes, probe).await;
        let proxy = proxy(&cp, tweak).await;
        synced(&cp, &proxy).await;
        TwoRegions { cp, a, b, service, table, proxy }
    }

    /// The route table's path in the API.
    pub fn table_path(&self) -> String {
        format!("/api/v1/multi-cloud/routes/{}", self.table)
    }
}
