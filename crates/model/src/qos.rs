//! Traffic-shaping (QoS) policies: bandwidth limits, priority classes and DSCP marks.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationErrors;
use crate::{Timestamp, path};

/// Bytes per second in one megabit per second.
pub const BYTES_PER_MBIT: u64 = 125_000;

/// Priority classes, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum Priority {
    /// Interactive, 1 ms SLA.
    P0,
    /// Real-time, 10 ms SLA.
    P1,
    /// Bulk, 100 ms SLA.
    P2,
    /// Best effort, no SLA.
    P3,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P0, Priority::P1, Priority::P2, Priority::P3];

    /// The class's default latency SLA in milliseconds (`None` for best effort).
    pub fn default_sla_ms(self) -> Option<u32> {
        match self {
            Priority::P0 => Some(1),
            Priority::P1 => Some(10),
            Priority::P2 => Some(100),
            Priority::P3 => None,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
        }
    }
}

/// DSCP code points supported by policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
pub enum Dscp {
    EF,
    AF41,
    AF31,
    AF21,
    AF11,
    #[default]
    BE,
}

impl Dscp {
    /// The 6-bit DSCP value.
    pub fn value(self) -> u8 {
        match self {
            Dscp::EF => 46,
            Dscp::AF41 => 34,
            Dscp::AF31 => 26,
            Dscp::AF21 => 18,
            Dscp::AF11 => 10,
            Dscp::BE => 0,
        }
    }

    /// The IPv4 TOS / IPv6 traffic-class byte (DSCP in the upper six bits).
    pub fn tos(self) -> u8 {
        self.value() << 2
    }
}

fn default_burst() -> u32 {
    1024
}
fn default_weight() -> u32 {
    1
}
fn default_true() -> bool {
    true
}

/// Where a policy's bandwidth limits hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum BandwidthScope {
    /// The limits hold for the service across every proxy of the cluster: each proxy leases
    /// a share of them from the control plane by its demand.
    #[default]
    Cluster,
    /// Each proxy enforces the full limits on its own (N proxies pass up to N × the limit).
    Proxy,
}

impl BandwidthScope {
    pub fn as_str(self) -> &'static str {
        match self {
            BandwidthScope::Cluster => "cluster",
            BandwidthScope::Proxy => "proxy",
        }
    }
}

/// Bandwidth limits of a service; `None` means unlimited in that direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BandwidthConfig {
    /// Client → upstream, megabits per second.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    pub ingress_mbps: Option<u32>,
    /// Upstream → client, megabits per second.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    pub egress_mbps: Option<u32>,
    /// Token-bucket depth in KiB.
    #[serde(default = "default_burst")]
    #[schema(minimum = 1, maximum = 10240)]
    pub burst_size_kb: u32,
    /// `cluster` (default): the limits hold across all proxies of the cluster; `proxy`:
    /// each proxy enforces them on its own.
    #[serde(default)]
    pub scope: BandwidthScope,
}

impl Default for BandwidthConfig {
    fn default() -> Self {
        Self { ingress_mbps: None, egress_mbps: None, burst_size_kb: default_burst(), scope: BandwidthScope::default() }
    }
}

/// Scheduling class and marking of a service's traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PriorityConfig {
    pub priority: Priority,
    /// Share among policies of the same class under contention.
    #[serde(default = "default_weight")]
    #[schema(minimum = 1, maximum = 100)]
    pub weight: u32,
    /// Latency SLA; defaults to the class's (P0 1 ms, P1 10 ms, P2 100 ms).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 60000)]
    pub max_latency_ms: Option<u32>,
    #[serde(default)]
    pub dscp_marking: Dscp,
}

impl PriorityConfig {
    pub fn sla_ms(&self) -> Option<u32> {
        self.max_latency_ms.or(self.priority.default_sla_ms())
    }
}

/// A QoS policy as written by a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QosPolicySpec {
    #[schema(schema_with = crate::schema::name)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(minimum = 1)]
    pub service_id: i64,
    #[schema(minimum = 1)]
    pub cluster_id: i64,
    /// Default: no limits (a burst of 1024 KiB, cluster scope).
    #[serde(alias = "bandwidth_config", default)]
    pub bandwidth: BandwidthConfig,
    pub priority_config: PriorityConfig,
    #[serde(default = "default_true")]
    pub enabled: bool,
}

/// A stored QoS policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QosPolicy {
    pub id: i64,
    #[serde(flatten)]
    pub spec: QosPolicySpec,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

impl QosPolicySpec {
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
        if let Some(v) = self.bandwidth.ingress_mbps {
            e.range(path!["bandwidth", "ingress_mbps"], v, 1, 100_000);
        }
        if let Some(v) = self.bandwidth.egress_mbps {
            e.range(path!["bandwidth", "egress_mbps"], v, 1, 100_000);
        }
        e.range(path!["bandwidth", "burst_size_kb"], self.bandwidth.burst_size_kb, 1, 10_240);
        e.range(path!["priority_config", "weight"], self.priority_config.weight, 1, 100);
        if let Some(v) = self.priority_config.max_latency_ms {
            e.range(path!["priority_config", "max_latency_ms"], v, 1, 60_000);
        }
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_parses_and_validates() {
        let s: QosPolicySpec = serde_json::from_value(serde_json::json!({
            "name": "High Priority Web Traffic", "service_id": 1, "cluster_id": 1,
            "bandwidth": {"ingress_mbps": 1000, "egress_mbps": 1000, "burst_size_kb": 2048},
            "priority_config": {"priority": "P1", "weight": 10, "max_latency_ms": 10, "dscp_marking": "EF"}
        }))
        .unwrap();
        s.validate().unwrap();
        assert_eq!(s.priority_config.dscp_marking.tos(), 184);
        assert_eq!(s.priority_config.sla_ms(), Some(10));
    }

    #[test]
    fn bounds_are_enforced_per_field() {
        let s: QosPolicySpec = serde_json::from_value(serde_json::json!({
            "name": "", "service_id": 1, "cluster_id": 1,
            "bandwidth": {"ingress_mbps": 0, "egress_mbps": 100001, "burst_size_kb": 20000},
            "priority_config": {"priority": "P3", "weight": 0}
        }))
        .unwrap();
        let err = s.validate().unwrap_err();
        let locs: Vec<String> =
            err.errors.iter().map(|e| e.loc.last().unwrap().as_str().unwrap().to_string()).collect();
        assert_eq!(locs, ["name", "ingress_mbps", "egress_mbps", "burst_size_kb", "weight"]);
    }

    #[test]
    fn dscp_values() {
        let v: Vec<u8> =
            [Dscp::EF, Dscp::AF41, Dscp::AF31, Dscp::AF21, Dscp::AF11, Dscp::BE].iter().map(|d| d.value()).collect();
        assert_eq!(v, [46, 34, 26, 18, 10, 0]);
    }
}
