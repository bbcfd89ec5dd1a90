//! What proxies send to the control plane: registration and periodic reports.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/v1/proxy/register`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProxyRegistration {
    /// Unique within the cluster; a restarted proxy re-registers under the same name.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    #[schema(max_length = 50)]
    pub version: String,
    /// Where the proxy listens (informational).
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Registered {
    pub proxy_id: i64,
    pub cluster_id: i64,
}

/// Traffic to one route-table endpoint during one minute bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TrafficSample {
    pub route_table_id: i64,
    pub endpoint: String,
    /// Start of the one-minute bucket, epoch milliseconds.
    pub bucket_start_ms: i64,
    /// Client → upstream bytes.
    pub bytes_in: u64,
    /// Upstream → client bytes (what clouds bill as egress).
    pub bytes_out: u64,
    pub requests: u64,
    /// Requests that failed (5xx from the upstream, or a proxy error).
    pub errors: u64,
}

/// Tracing counters of one tracing config since the proxy started (cumulative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct TracingSample {
    pub tracing_config_id: i64,
    pub spans_started: u64,
    pub spans_sampled: u64,
    pub spans_exported: u64,
    pub spans_dropped: u64,
    pub spans_errored: u64,
    pub span_duration_sum_ms: f64,
    pub effective_sampling_rate: Option<f64>,
    pub last_export_at_ms: Option<i64>,
    pub last_export_error: Option<String>,
}

/// Shaping counters of one QoS policy since the proxy started (cumulative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, Default)]
pub struct QosSample {
    pub policy_id: i64,
    pub bytes_passed: u64,
    pub bytes_delayed: u64,
    /// Bytes per second over the last report interval.
    pub current_rate_bps: f64,
    /// Added delay per class: `[p50_ms, p99_ms]` for P0..P3.
    #[schema(schema_with = crate::schema::delay_ms)]
    pub delay_ms: [[f64; 2]; 4],
    pub sla_violations: u64,
}

/// `POST /api/v1/proxy/report`. Traffic samples are applied exactly once per
/// `report_id`; tracing and QoS samples are cumulative snapshots (latest wins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProxyReport {
    pub proxy_id: i64,
    /// Unique per report; a retried report carries the same id.
    #[schema(min_length = 1, max_length = 64)]
    pub report_id: String,
    pub config_version: i64,
    #[serde(default)]
    pub traffic: Vec<TrafficSample>,
    #[serde(default)]
    pub tracing: Vec<TracingSample>,
    #[serde(default)]
    pub qos: Vec<QosSample>,
}

/// A direction of shaped traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client → upstream (`ingress_mbps`).
    Ingress,
    /// Upstream → client (`egress_mbps`).
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// What one proxy used of one cluster-scope limit during its last lease interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QosDemand {
    pub policy_id: i64,
    pub direction: Direction,
    /// Bytes per second that passed.
    #[schema(minimum = 0)]
    pub used_bps: f64,
    /// Traffic waited for tokens while the proxy used (nearly) all of its share: it would
    /// take more.
    pub throttled: bool,
}

/// `POST /api/v1/proxy/qos-lease`: a proxy's demand for its cluster-scope limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QosLeaseRequest {
    pub proxy_id: i64,
    /// How often the proxy leases (milliseconds, 50–10000); a lease lasts three intervals.
    #[schema(minimum = 50, maximum = 10000)]
    pub interval_ms: u64,
    /// One per policy and direction.
    #[schema(max_items = 1000)]
    pub demands: Vec<QosDemand>,
}

/// One proxy's share of one cluster-scope limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QosGrant {
    pub policy_id: i64,
    pub direction: Direction,
    /// The rate this proxy may pass, bytes per second.
    pub rate_bps: f64,
    /// Its token-bucket depth: the policy's burst divided by `proxies`.
    pub burst_bytes: f64,
    /// Proxies sharing the limit now (the fallback share is limit / proxies).
    pub proxies: u32,
}

/// The answer to a lease: a grant per demand the control plane recognised (a cluster-scope,
/// enabled policy of the proxy's cluster with a limit in that direction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QosLeaseResponse {
    /// The grants hold this long; a proxy that hears nothing newer falls back to limit / proxies.
    pub expires_in_ms: u64,
    pub grants: Vec<QosGrant>,
}
