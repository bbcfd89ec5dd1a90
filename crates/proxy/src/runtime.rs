//! A snapshot compiled for the request path: a host/path index of services, and for
//! each route table its endpoints (pre-parsed URIs, selection state, counters).
//!
//! Building a runtime validates everything a request will need, so a snapshot that
//! does not compile is rejected whole and the previous runtime keeps serving.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use http::HeaderValue;
use http::uri::{Authority, Scheme};
use marchproxy_model::error::parse_endpoint;
use marchproxy_model::route_table::{CloudProvider, RouteTable};
use marchproxy_model::service::ServiceProtocol;
use marchproxy_model::snapshot::ClusterSnapshot;

use crate::balancer::{Candidate, EndpointState, Selector};
use crate::regions;
use crate::shaping::{ServiceSlot, Shaping};

/// Endpoint state by (route table, endpoint), kept across snapshots so latency
/// estimates and traffic counters survive reloads.
#[derive(Default)]
pub struct Registry {
    map: Mutex<HashMap<(i64, String), Arc<EndpointState>>>,
}

impl Registry {
    pub fn get(&self, table: i64, endpoint: &str) -> Arc<EndpointState> {
        let mut m = self.map.lock().expect("registry lock");
        m.entry((table, endpoint.to_string())).or_default().clone()
    }

    /// Every endpoint state (for reporting and metrics).
    pub fn all(&self) -> Vec<((i64, String), Arc<EndpointState>)> {
        self.map.lock().expect("registry lock").iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Remove and return the endpoints that are gone from the configuration (`live` is
    /// false) and that nothing else holds any more: no runtime, no request in flight, no
    /// body still streaming. Their counters can no longer change, so the caller reports
    /// them one last time and nothing is lost.
    pub fn remove_unused(&self, live: impl Fn(&(i64, String)) -> bool) -> Vec<((i64, String), Arc<EndpointState>)> {
        let mut m = self.map.lock().expect("registry lock");
        let dead: Vec<(i64, String)> =
            m.iter().filter(|(k, v)| Arc::strong_count(v) == 1 && !live(k)).map(|(k, _)| k.clone()).collect();
        dead.into_iter().filter_map(|k| m.remove(&k).map(|v| (k, v))).collect()
    }
}

/// One upstream endpoint, ready for the request path.
pub struct EndpointRt {
    pub raw: String,
    pub scheme: Scheme,
    /// HTTP/2 to this endpoint (`grpc://`, or `upstream_protocol: http2` on `http://`: h2c
    /// with prior knowledge; `grpcs://`, or `http2` on `https://`: TLS with ALPN h2), else
    /// HTTP/1.1.
    pub h2: bool,
    /// `https://` without `upstream_protocol`: the first connection offers h2 and http/1.1
    /// by ALPN, and HTTP/2 is spoken when the endpoint chose h2 (remembered in its state).
    pub alpn: bool,
    pub authority: Authority,
    pub host_header: HeaderValue,
    pub host: String,
    pub port: u16,
    pub provider: CloudProvider,
    pub region: String,
}

/// Which protocols a route table's request heads are prepared for (upstream/request.rs):
/// its endpoints speak HTTP/1.1 only, HTTP/2 only (by scheme or setting), or either (ALPN,
/// or a mix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadFor {
    Http1,
    Both,
    Http2,
}

pub struct TableRt {
    pub id: i64,
    pub name: String,
    pub service_id: i64,
    pub selector: Selector,
    pub endpoints: Vec<EndpointRt>,
    pub candidates: Vec<Candidate>,
    pub states: Vec<Arc<EndpointState>>,
    /// What request heads are prepared for: HTTP/1.1, HTTP/2 (every endpoint speaks it by
    /// scheme or setting), or both (some endpoint speaks or may speak HTTP/2).
    pub head_for: HeadFor,
}

impl TableRt {
    pub fn pick(&self, exclude: Option<usize>, now_ms: i64) -> Option<usize> {
        self.selector.pick(&self.candidates, &self.states, exclude, now_ms)
    }
}

pub struct ServiceRoute {
    pub service_id: i64,
    pub name: String,
    pub path_prefix: String,
    pub table: Option<Arc<TableRt>>,
    /// The service's QoS policy slot (shared across snapshots).
    pub slot: Arc<ServiceSlot>,
}

/// A TCP service's L4 listener.
pub struct TcpRoute {
    pub service_id: i64,
    pub listen_port: u16,
    pub table: Option<Arc<TableRt>>,
    pub slot: Arc<ServiceSlot>,
}

pub struct Runtime {
    pub version: i64,
    /// Hosts hashed with foldhash, not SipHash: looked up once per request, and the keys come
    /// from the configuration, so a client's Host cannot crowd the table.
    exact: HashMap<String, Vec<Arc<ServiceRoute>>, foldhash::fast::RandomState>,
    /// (".example.com", routes) for `*.example.com`.
    wildcard: Vec<(String, Vec<Arc<ServiceRoute>>)>,
    pub tcp: Vec<TcpRoute>,
    pub tables: Vec<Arc<TableRt>>,
}

impl Runtime {
    /// Compile a snapshot. `location` is this proxy's coordinates (geo routing).
    pub fn build(
        s: &ClusterSnapshot,
        registry: &Registry,
        shaping: &Shaping,
        location: Option<(f64, f64)>,
        now_ms: i64,
    ) -> Result<Self, String> {
        s.validate().map_err(|e| format!("invalid snapshot: {e}"))?;
        let mut tables: HashMap<i64, Arc<TableRt>> = HashMap::new();
        for t in s.route_tables.iter().filter(|t| t.spec.enabled) {
            let rt = build_table(t, s, registry, location, now_ms)?;
            // One table per service: the lowest id wins when several are enabled.
            let entry = tables.entry(t.spec.service_id);
            if let std::collections::hash_map::Entry::Vacant(v) = entry {
                v.insert(Arc::new(rt));
            }
        }
        let mut exact: HashMap<String, Vec<Arc<ServiceRoute>>, _> = HashMap::default();
        let mut wildcard: Vec<(String, Vec<Arc<ServiceRoute>>)> = Vec::new();
        let mut tcp = Vec::new();
        for svc in s.services.iter().filter(|x| x.spec.enabled) {
            let table = tables.get(&svc.id).cloned();
            if svc.spec.protocol == ServiceProtocol::Tcp {
                if let Some(port) = svc.spec.listen_port {
                    tcp.push(TcpRoute { service_id: svc.id, listen_port: port, table, slot: shaping.slot(svc.id) });
                }
                continue;
            }
            let route = Arc::new(ServiceRoute {
                service_id: svc.id,
                name: svc.spec.name.clone(),
                path_prefix: svc.spec.path_prefix.clone(),
                table,
                slot: shaping.slot(svc.id),
            });
            for h in &svc.spec.hostnames {
                let h = h.to_ascii_lowercase();
                if let Some(suffix) = h.strip_prefix('*') {
                    match wildcard.iter_mut().find(|(s, _)| s == suffix) {
                        Some((_, v)) => v.push(route.clone()),
                        None => wildcard.push((suffix.to_string(), vec![route.clone()])),
                    }
                } else {
                    exact.entry(h).or_default().push(route.clone());
                }
            }
        }
        // Longest path prefix first; longest wildcard suffix first.
        for v in exact.values_mut() {
            v.sort_by_key(|r| std::cmp::Reverse(r.path_prefix.len()));
        }
        for (_, v) in wildcard.iter_mut() {
            v.sort_by_key(|r| std::cmp::Reverse(r.path_prefix.len()));
        }
        wildcard.sort_by_key(|w| std::cmp::Reverse(w.0.len()));
        Ok(Runtime { version: s.version, exact, wildcard, tcp, tables: tables.into_values().collect() })
    }

    /// The service for a Host (port ignored, case-insensitive) and path.
    pub fn route(&self, host: &str, path: &str) -> Option<&Arc<ServiceRoute>> {
        let host = strip_port(host);
        let lower;
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = host.to_ascii_lowercase();
            lower.as_str()
        } else {
            host
        };
        let list = self.exact.get(host).or_else(|| {
            self.wildcard
                .iter()
                .find(|(suffix, _)| host.len() > suffix.len() && host.ends_with(suffix.as_str()))
                .map(|(_, v)| v)
        })?;
        list.iter().find(|r| prefix_matches(&r.path_prefix, path))
    }
}

/// Whether `path` lies under the path prefix `prefix` on whole segments: `/api` matches `/api`,
/// `/api/` and `/api/users`, not `/api-internal` (a prefix ending in `/` matches as it is).
fn prefix_matches(prefix: &str, path: &str) -> bool {
    path.starts_with(prefix)
        && (prefix.ends_with('/') || path.len() == prefix.len() || path.as_bytes()[prefix.len()] == b'/')
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split(']').next().map(|h| &h[1..]).unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

fn build_table(
    t: &RouteTable,
    s: &ClusterSnapshot,
    registry: &Registry,
    location: Option<(f64, f64)>,
    now_ms: i64,
) -> Result<TableRt, String> {
    let mut endpoints = Vec::with_capacity(t.spec.routes.len());
    let mut candidates = Vec::with_capacity(t.spec.routes.len());
    let mut states = Vec::with_capacity(t.spec.routes.len());
    for r in &t.spec.routes {
        let ep =
            parse_endpoint(&r.endpoint).map_err(|e| format!("route table {}: endpoint {}: {e}", t.id, r.endpoint))?;
        let tls = matches!(ep.scheme.as_str(), "https" | "grpcs");
        let host = if ep.host.contains(':') { format!("[{}]", ep.host) } else { ep.host.clone() };
        let default_port = if tls { 443 } else { 80 };
        let auth_str = if ep.port == default_port { host.clone() } else { format!("{host}:{}", ep.port) };
        let authority: Authority =
            auth_str.parse().map_err(|e| format!("route table {}: endpoint {}: {e}", t.id, r.endpoint))?;
        let host_header = HeaderValue::from_str(&auth_str).map_err(|e| format!("endpoint {}: {e}", r.endpoint))?;
        let health = s.health.iter().find(|h| h.route_table_id == t.id && h.endpoint == r.endpoint);
        let state = registry.get(t.id, &r.endpoint);
        state.seed(health.and_then(|h| h.rtt_ms));
        state.set_probe_healthy(health.is_none_or(|h| h.is_healthy));
        let coords = match (r.latitude, r.longitude) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => regions::coordinates(r.provider, &r.region),
        };
        let drained = s
            .drained
            .iter()
            .filter(|d| d.route_table_id == t.id && d.endpoint == r.endpoint && d.until_unix_ms > now_ms)
            .map(|d| d.until_unix_ms)
            .max();
        candidates.push(Candidate {
            is_active: r.is_active,
            healthy: health.is_none_or(|h| h.is_healthy),
            drained_until_ms: drained,
            weight: r.weight,
            cost_per_gb: r.cost_per_gb,
            provider: r.provider,
            distance_km: match (location, coords) {
                (Some(a), Some(b)) => Some(regions::distance_km(a, b)),
                _ => None,
            },
        });
        endpoints.push(EndpointRt {
            raw: r.endpoint.clone(),
            scheme: if tls { Scheme::HTTPS } else { Scheme::HTTP },
            h2: r.speaks_http2(),
            alpn: r.negotiates_http2(),
            authority,
            host_header,
            host: ep.host.clone(),
            port: ep.port,
            provider: r.provider,
            region: r.region.clone(),
        });
        states.push(state);
    }
    let n = endpoints.len();
    let head_for = if !endpoints.is_empty() && endpoints.iter().all(|e| e.h2) {
        HeadFor::Http2
    } else if endpoints.iter().any(|e| e.h2 || e.alpn) {
        HeadFor::Both
    } else {
        HeadFor::Http1
    };
    Ok(TableRt {
        head_for,
        id: t.id,
        name: t.spec.name.clone(),
        service_id: t.spec.service_id,
        selector: Selector::new(t.spec.algorithm, t.spec.enable_auto_failover, t.spec.failover_order(), n),
        endpoints,
        candidates,
        states,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ports_are_ignored() {
        assert_eq!(strip_port("api.example.com:8080"), "api.example.com");
        assert_eq!(strip_port("api.example.com"), "api.example.com");
        assert_eq!(strip_port("[::1]:80"), "::1");
    }

    #[test]
    fn path_prefixes_match_whole_segments() {
        for (prefix, path) in
            [("/api", "/api"), ("/api", "/api/"), ("/api", "/api/users"), ("/api/", "/api/x"), ("/", "/a")]
        {
            assert!(prefix_matches(prefix, path), "{prefix} should match {path}");
        }
        for (prefix, path) in
            [("/api", "/api-internal"), ("/api", "/apix/y"), ("/api/", "/api"), ("/api", "/ap"), ("/api", "/")]
        {
            assert!(!prefix_matches(prefix, path), "{prefix} should not match {path}");
        }
    }
}
