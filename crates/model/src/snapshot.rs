//! The versioned configuration snapshot of one cluster: everything a proxy needs,
//! and nothing else. A proxy's only input is this document.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationErrors;
use crate::qos::QosPolicy;
use crate::route_table::{EndpointHealth, RouteTable};
use crate::service::Service;
use crate::tracing_config::TracingConfig;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClusterSnapshot {
    /// Monotonic per cluster; a proxy applies only newer versions.
    pub version: i64,
    pub cluster_id: i64,
    pub services: Vec<Service>,
    pub route_tables: Vec<RouteTable>,
    pub qos_policies: Vec<QosPolicy>,
    pub tracing_configs: Vec<TracingConfig>,
    pub health: Vec<EndpointHealth>,
    /// Endpoints taken out of rotation by a running failover drill.
    #[serde(default)]
    pub drained: Vec<DrainedEndpoint>,
}

/// An endpoint a failover drill removed from rotation until `until_unix_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrainedEndpoint {
    pub route_table_id: i64,
    pub endpoint: String,
    pub until_unix_ms: i64,
}

impl ClusterSnapshot {
    /// Validate every object of the snapshot; a proxy rejects the whole snapshot
    /// if anything is invalid, and keeps serving the last good one.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut all = ValidationErrors::new();
        let mut prefix = |kind: &str, id: i64, r: Result<(), ValidationErrors>| {
            if let Err(e) = r {
                for mut fe in e.errors {
                    fe.loc[0] = serde_json::Value::from(format!("{kind}[{id}]"));
                    all.errors.push(fe);
                }
            }
        };
        for s in &self.services {
            prefix("services", s.id, s.spec.validate());
        }
        for r in &self.route_tables {
            prefix("route_tables", r.id, r.spec.validate());
        }
        for q in &self.qos_policies {
            prefix("qos_policies", q.id, q.spec.validate());
        }
        for t in &self.tracing_configs {
            prefix("tracing_configs", t.id, t.spec.validate());
        }
        for s in &self.services {
            if s.spec.cluster_id != self.cluster_id {
                all.add(crate::path!["services"], format!("service {} belongs to another cluster", s.id));
            }
        }
        all.into_result()
    }
}
