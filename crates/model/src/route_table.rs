//! Multi-cloud route tables: endpoints on AWS/GCP/Azure/on-prem, the selection
//! algorithm, the health probe, and endpoint health.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ValidationErrors, parse_endpoint};
use crate::{Timestamp, path};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloudProvider {
    Aws,
    Gcp,
    Azure,
    #[serde(alias = "on-prem", alias = "onprem", alias = "on_premise")]
    OnPrem,
}

impl CloudProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Gcp => "gcp",
            Self::Azure => "azure",
            Self::OnPrem => "on_prem",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum RoutingAlgorithm {
    #[default]
    Latency,
    Cost,
    #[serde(alias = "geo_proximity")]
    Geo,
    #[serde(alias = "round_robin")]
    WeightedRr,
    Failover,
}

impl RoutingAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Latency => "latency",
            Self::Cost => "cost",
            Self::Geo => "geo",
            Self::WeightedRr => "weighted_rr",
            Self::Failover => "failover",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::from(s)).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProbeProtocol {
    #[default]
    Tcp,
    Http,
    Https,
    Icmp,
    /// `grpc.health.v1.Health/Check` over HTTP/2 (TLS for `grpcs://` and `https://`
    /// endpoints, h2c otherwise); healthy when the answer is SERVING.
    Grpc,
}

fn default_weight() -> u32 {
    1
}
fn default_true() -> bool {
    true
}

/// One endpoint of a route table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Route {
    pub provider: CloudProvider,
    #[schema(schema_with = crate::schema::region)]
    pub region: String,
    /// Where traffic goes: `https://host[:port]`, `http://...` or `host:port`.
    #[schema(schema_with = crate::schema::endpoint)]
    pub endpoint: String,
    #[serde(default = "default_weight")]
    #[schema(minimum = 1, maximum = 100)]
    pub weight: u32,
    /// Egress price in USD per GB; required by the `cost` algorithm.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000)]
    pub cost_per_gb: Option<f64>,
    #[serde(default = "default_true")]
    pub is_active: bool,
    /// Failover order, lower first; defaults to list order.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000)]
    pub priority: Option<u32>,
    /// Coordinates for geo routing of endpoints outside the known cloud regions.
    #[serde(default)]
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[serde(default)]
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// The HTTP version spoken to this endpoint. Default by scheme: `grpc://` and `grpcs://`
    /// HTTP/2 (h2c, or TLS with ALPN h2); `http://` HTTP/1.1; `https://` offers both by ALPN
    /// and speaks HTTP/2 when the endpoint chooses it. `http2` on an `http://` endpoint is
    /// h2c with prior knowledge, on `https://` TLS with ALPN h2 only; `http1` is HTTP/1.1
    /// only.
    #[serde(default)]
    pub upstream_protocol: Option<UpstreamProtocol>,
}

/// The HTTP version spoken to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamProtocol {
    Http1,
    Http2,
}

impl Route {
    /// Whether the proxy speaks HTTP/2 to this endpoint (its setting, else its scheme).
    pub fn speaks_http2(&self) -> bool {
        match self.upstream_protocol {
            Some(p) => p == UpstreamProtocol::Http2,
            None => {
                let e = self.endpoint.trim_start().to_ascii_lowercase();
                e.starts_with("grpc://") || e.starts_with("grpcs://")
            }
        }
    }

    /// Whether the protocol is left to ALPN: an `https://` endpoint without a setting is
    /// offered h2 and http/1.1, and HTTP/2 is spoken when it chooses h2.
    pub fn negotiates_http2(&self) -> bool {
        self.upstream_protocol.is_none() && self.endpoint.trim_start().to_ascii_lowercase().starts_with("https://")
    }
}

fn default_interval() -> u32 {
    30
}
fn default_timeout() -> u32 {
    5
}
fn default_unhealthy() -> u32 {
    3
}
fn default_healthy() -> u32 {
    2
}

/// How the control plane probes the endpoints of a route table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthProbeConfig {
    /// Default `tcp`.
    #[serde(default)]
    pub protocol: ProbeProtocol,
    /// Port to probe; defaults to the endpoint's port.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
    /// Path for HTTP(S) probes; defaults to `/health`.
    #[serde(default)]
    #[schema(
        max_length = 1024,
        pattern = r"^/[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(?!\n)$"
    )]
    pub path: Option<String>,
    /// For `grpc` probes: the service asked about (`HealthCheckRequest.service`); empty or
    /// missing asks about the server as a whole.
    #[serde(default)]
    #[schema(max_length = 255, pattern = "^[A-Za-z0-9._/-]*(?!\\n)$")]
    pub grpc_service: Option<String>,
    #[serde(default = "default_interval")]
    #[schema(minimum = 1, maximum = 3600)]
    pub interval_seconds: u32,
    /// How long a probe may take; at most `interval_seconds` counts (a larger value waits
    /// one interval, HAProxy's rule).
    #[serde(default = "default_timeout")]
    #[schema(minimum = 1, maximum = 3600)]
    pub timeout_seconds: u32,
    #[serde(default = "default_unhealthy")]
    #[schema(minimum = 1, maximum = 100)]
    pub unhealthy_threshold: u32,
    #[serde(default = "default_healthy")]
    #[schema(minimum = 1, maximum = 100)]
    pub healthy_threshold: u32,
}

impl HealthProbeConfig {
    /// How long a probe may take: `timeout_seconds`, at most `interval_seconds` (HAProxy's
    /// rule for `timeout check` and `inter`), so probes of one endpoint never overlap.
    pub fn effective_timeout_seconds(&self) -> u32 {
        self.timeout_seconds.min(self.interval_seconds)
    }
}

impl Default for HealthProbeConfig {
    fn default() -> Self {
        Self {
            protocol: ProbeProtocol::Tcp,
            port: None,
            path: None,
            grpc_service: None,
            interval_seconds: default_interval(),
            timeout_seconds: default_timeout(),
            unhealthy_threshold: default_unhealthy(),
            healthy_threshold: default_healthy(),
        }
    }
}

/// A route table as written by a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RouteTableSpec {
    #[schema(schema_with = crate::schema::name)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(minimum = 1)]
    pub service_id: i64,
    #[schema(minimum = 1)]
    pub cluster_id: i64,
    /// Default `latency`.
    #[serde(default)]
    pub algorithm: RoutingAlgorithm,
    #[schema(min_items = 1, max_items = 20)]
    pub routes: Vec<Route>,
    #[serde(default, alias = "health_probe_config")]
    pub health_probe: HealthProbeConfig,
    #[serde(default = "default_true")]
    pub enable_auto_failover: bool,
    #[serde(default = "default_true")]
    pub enabled: bool,
}

/// A stored route table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RouteTable {
    pub id: i64,
    #[serde(flatten)]
    pub spec: RouteTableSpec,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

/// Health of one endpoint, as last probed by the control plane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EndpointHealth {
    pub route_table_id: i64,
    pub endpoint: String,
    pub is_healthy: bool,
    #[schema(value_type = Option<String>)]
    pub last_check: Option<Timestamp>,
    pub rtt_ms: Option<f64>,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub last_error: Option<String>,
}

impl RouteTableSpec {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.text(path!["name"], &self.name, 100);
        e.description(&self.description);
        if self.service_id < 1 {
            e.add(path!["service_id"], "must be a positive id");
        }
        if self.cluster_id < 1 {
            e.add(path!["cluster_id"], "must be a positive id");
        }
        if self.routes.is_empty() || self.routes.len() > 20 {
            e.add(path!["routes"], "must contain between 1 and 20 routes");
        } else if !self.routes.iter().any(|r| r.is_active) {
            e.add(path!["routes"], "at least one route must be active");
        }
        let mut seen = std::collections::HashSet::new();
        for (i, r) in self.routes.iter().enumerate() {
            e.text(path!["routes", i, "region"], &r.region, 64);
            match parse_endpoint(&r.endpoint) {
                Ok(ep) => {
                    if !seen.insert(r.endpoint.trim()) {
                        e.add(path!["routes", i, "endpoint"], "duplicate endpoint in this route table");
                    }
                    match (ep.scheme.as_str(), r.upstream_protocol) {
                        ("grpc" | "grpcs", Some(UpstreamProtocol::Http1)) => {
                            e.add(path!["routes", i, "upstream_protocol"], "gRPC endpoints need http2")
                        }
                        ("tcp", Some(_)) => e.add(
                            path!["routes", i, "upstream_protocol"],
                            "applies to http(s) and grpc(s) endpoints, not to TCP ones",
                        ),
                        _ => {}
                    }
                }
                Err(m) => e.add(path!["routes", i, "endpoint"], m),
            }
            e.range(path!["routes", i, "weight"], r.weight, 1, 100);
            match r.cost_per_gb {
                Some(c) if !(0.0..=1000.0).contains(&c) || c.is_nan() => {
                    e.add(path!["routes", i, "cost_per_gb"], "must be between 0 and 1000")
                }
                None if self.algorithm == RoutingAlgorithm::Cost => {
                    e.add(path!["routes", i, "cost_per_gb"], "is required on every route when algorithm is cost")
                }
                _ => {}
            }
            if let Some(p) = r.priority {
                e.range(path!["routes", i, "priority"], p, 0, 1000);
            }
            match (r.latitude, r.longitude) {
                (Some(lat), Some(lon)) => {
                    if !(-90.0..=90.0).contains(&lat) || lat.is_nan() {
                        e.add(path!["routes", i, "latitude"], "must be between -90 and 90");
                    }
                    if !(-180.0..=180.0).contains(&lon) || lon.is_nan() {
                        e.add(path!["routes", i, "longitude"], "must be between -180 and 180");
                    }
                }
                (None, None) => {}
                _ => e.add(path!["routes", i, "latitude"], "latitude and longitude go together"),
            }
        }
        let p = &self.health_probe;
        e.range(path!["health_probe", "interval_seconds"], p.interval_seconds, 1, 3600);
        e.range(path!["health_probe", "timeout_seconds"], p.timeout_seconds, 1, 3600);
        e.range(path!["health_probe", "unhealthy_threshold"], p.unhealthy_threshold, 1, 100);
        e.range(path!["health_probe", "healthy_threshold"], p.healthy_threshold, 1, 100);
        if p.port == Some(0) {
            e.add(path!["health_probe", "port"], "must be between 1 and 65535");
        }
        if p.path
            .as_ref()
            .is_some_and(|x| !x.starts_with('/') || x.chars().count() > 1024 || x.chars().any(char::is_whitespace))
        {
            e.add(path!["health_probe", "path"], "must be an absolute path without spaces");
        }
        if p.grpc_service.as_ref().is_some_and(|x| {
            x.len() > 255 || !x.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        }) {
            e.add(
                path!["health_probe", "grpc_service"],
                "must be a gRPC service name (letters, digits, . _ - /), at most 255 characters",
            );
        }
        e.into_result()
    }

    /// Routes in failover order: by `priority`, then list order.
    pub fn failover_order(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.routes.len()).collect();
        idx.sort_by_key(|&i| (self.routes[i].priority.unwrap_or(i as u32), i));
        idx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> serde_json::Value {
        serde_json::json!({
            "name": "Multi-Region Failover", "service_id": 1, "cluster_id": 1, "algorithm": "latency",
            "routes": [
                {"provider": "aws", "region": "us-east-1", "endpoint": "https://api.us-east-1.example.com", "weight": 100, "cost_per_gb": 0.09, "is_active": true},
                {"provider": "gcp", "region": "us-central1", "endpoint": "https://api.us-central1.example.com", "weight": 100, "cost_per_gb": 0.08, "is_active": true}
            ],
            "health_probe": {"protocol": "https", "port": 443, "path": "/health", "interval_seconds": 30, "timeout_seconds": 5, "unhealthy_threshold": 3, "healthy_threshold": 2},
            "enable_auto_failover": true
        })
    }

    #[test]
    fn spec_example_is_valid() {
        let s: RouteTableSpec = serde_json::from_value(example()).unwrap();
        s.validate().unwrap();
        assert_eq!(s.failover_order(), [0, 1]);
    }

    #[test]
    fn cost_requires_prices_and_one_active_route() {
        let mut v = example();
        v["algorithm"] = "cost".into();
        v["routes"][1].as_object_mut().unwrap().remove("cost_per_gb");
        v["routes"][0]["is_active"] = false.into();
        v["routes"][1]["is_active"] = false.into();
        let s: RouteTableSpec = serde_json::from_value(v).unwrap();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("body.routes: at least one route must be active"), "{err}");
        assert!(err.contains("body.routes.1.cost_per_gb"), "{err}");
        assert!(!err.contains("timeout_seconds"), "{err}");
    }

    #[test]
    fn failover_order_uses_priority_then_position() {
        let mut s: RouteTableSpec = serde_json::from_value(example()).unwrap();
        s.routes[0].priority = Some(5);
        s.routes[1].priority = Some(1);
        assert_eq!(s.failover_order(), [1, 0]);
    }
}

/// The endpoint a proxy without its own measurements would prefer, with `excluded`
/// taken out of rotation. Used by failover drills (dry run) to predict the target.
///
/// Candidates are active, healthy (per `health`; unknown counts as healthy) and not
/// excluded. Returns the index into `spec.routes`.
pub fn preferred_endpoint(spec: &RouteTableSpec, health: &[EndpointHealth], excluded: Option<&str>) -> Option<usize> {
    let healthy = |ep: &str| health.iter().find(|h| h.endpoint == ep).is_none_or(|h| h.is_healthy);
    let rtt = |ep: &str| health.iter().find(|h| h.endpoint == ep).and_then(|h| h.rtt_ms).unwrap_or(f64::INFINITY);
    let candidates: Vec<usize> = spec
        .failover_order()
        .into_iter()
        .filter(|&i| {
            let r = &spec.routes[i];
            r.is_active && healthy(&r.endpoint) && excluded != Some(r.endpoint.as_str())
        })
        .collect();
    let by = |key: &dyn Fn(usize) -> (f64, f64)| {
        candidates.iter().copied().min_by(|&a, &b| key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal))
    };
    match spec.algorithm {
        RoutingAlgorithm::Latency => by(&|i| (rtt(&spec.routes[i].endpoint), 0.0)),
        RoutingAlgorithm::Cost => {
            by(&|i| (spec.routes[i].cost_per_gb.unwrap_or(f64::INFINITY), rtt(&spec.routes[i].endpoint)))
        }
        RoutingAlgorithm::WeightedRr => by(&|i| (-(spec.routes[i].weight as f64), 0.0)),
        RoutingAlgorithm::Geo | RoutingAlgorithm::Failover => candidates.first().copied(),
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    #[test]
    fn the_upstream_protocol_follows_the_scheme_unless_set() {
        let r = |ep: &str, p: Option<UpstreamProtocol>| -> Route {
            serde_json::from_value(
                serde_json::json!({"provider": "aws", "region": "r", "endpoint": ep, "upstream_protocol": p}),
            )
            .unwrap()
        };
        assert!(r("grpc://a:1", None).speaks_http2());
        assert!(r("GRPCS://a:1", None).speaks_http2());
        assert!(!r("https://a:1", None).speaks_http2());
        assert!(r("https://a:1", None).negotiates_http2() && r("HTTPS://a:1", None).negotiates_http2());
        for (ep, p) in [("https://a:1", Some(UpstreamProtocol::Http1)), ("https://a:1", Some(UpstreamProtocol::Http2))]
            .into_iter()
            .chain([("http://a:1", None), ("grpcs://a:1", None), ("a:1", None)])
        {
            assert!(!r(ep, p).negotiates_http2(), "{ep} {p:?}");
        }
        assert!(r("https://a:1", Some(UpstreamProtocol::Http2)).speaks_http2());
        assert!(!r("http://a:1", Some(UpstreamProtocol::Http1)).speaks_http2());
        let mut t = table(RoutingAlgorithm::Failover);
        t.routes[0] = r("grpc://a:1", Some(UpstreamProtocol::Http1));
        t.routes[1] = r("b:1", Some(UpstreamProtocol::Http2));
        let err = t.validate().unwrap_err();
        let fields: Vec<String> = err.errors.iter().map(|e| serde_json::to_string(&e.loc).unwrap()).collect();
        assert_eq!(
            fields,
            [r#"["body","routes",0,"upstream_protocol"]"#, r#"["body","routes",1,"upstream_protocol"]"#],
            "{err:?}"
        );
    }

    fn table(alg: RoutingAlgorithm) -> RouteTableSpec {
        let route = |ep: &str, cost: f64, prio: u32| Route {
            provider: CloudProvider::Aws,
            region: "us-east-1".into(),
            endpoint: ep.into(),
            weight: 100,
            cost_per_gb: Some(cost),
            is_active: true,
            priority: Some(prio),
            latitude: None,
            longitude: None,
            upstream_protocol: None,
        };
        RouteTableSpec {
            name: "t".into(),
            description: None,
            service_id: 1,
            cluster_id: 1,
            algorithm: alg,
            routes: vec![route("a:1", 0.09, 0), route("b:1", 0.02, 1), route("c:1", 0.05, 2)],
            health_probe: HealthProbeConfig::default(),
            enable_auto_failover: true,
            enabled: true,
        }
    }

    fn h(ep: &str, healthy: bool, rtt: f64) -> EndpointHealth {
        EndpointHealth {
            route_table_id: 1,
            endpoint: ep.into(),
            is_healthy: healthy,
            last_check: None,
            rtt_ms: Some(rtt),
            consecutive_failures: 0,
            consecutive_successes: 0,
            last_error: None,
        }
    }

    #[test]
    fn each_algorithm_skips_excluded_and_unhealthy() {
        let health = [h("a:1", true, 5.0), h("b:1", false, 1.0), h("c:1", true, 9.0)];
        assert_eq!(preferred_endpoint(&table(RoutingAlgorithm::Failover), &health, None), Some(0));
        assert_eq!(preferred_endpoint(&table(RoutingAlgorithm::Failover), &health, Some("a:1")), Some(2));
        assert_eq!(preferred_endpoint(&table(RoutingAlgorithm::Latency), &health, None), Some(0));
        assert_eq!(preferred_endpoint(&table(RoutingAlgorithm::Cost), &health, None), Some(2));
        assert_eq!(preferred_endpoint(&table(RoutingAlgorithm::Cost), &health, Some("c:1")), Some(0));
        let all_down = [h("a:1", false, 1.0), h("b:1", false, 1.0), h("c:1", false, 1.0)];
        assert_eq!(preferred_endpoint(&table(RoutingAlgorithm::Latency), &all_down, None), None);
    }
}
