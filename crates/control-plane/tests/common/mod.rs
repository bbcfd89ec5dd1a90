//! The control plane's test harness: `marchproxy-test-support` (a real control plane over
//! a fresh SQLite or PostgreSQL database, and what proxy tests share), plus the
//! specification's example bodies.
#![allow(dead_code, unused_imports)]

pub use marchproxy_test_support::control_plane::{config, fresh_database};
pub use marchproxy_test_support::*;
use serde_json::{Value, json};

/// The spec's QoS example.
pub fn qos_example(service_id: i64) -> Value {
    json!({
        "name": "High Priority Web Traffic",
        "service_id": service_id,
        "cluster_id": 1,
        "bandwidth": {"ingress_mbps": 1000, "egress_mbps": 1000, "burst_size_kb": 2048},
        "priority_config": {"priority": "P1", "weight": 10, "max_latency_ms": 10, "dscp_marking": "EF"}
    })
}

/// The spec's route-table example.
pub fn route_example(service_id: i64) -> Value {
    json!({
        "name": "Multi-Region Failover",
        "service_id": service_id,
        "cluster_id": 1,
        "algorithm": "latency",
        "routes": [
            {"provider": "aws", "region": "us-east-1", "endpoint": "https://api.us-east-1.example.com", "weight": 100, "cost_per_gb": 0.09, "is_active": true},
            {"provider": "gcp", "region": "us-central1", "endpoint": "https://api.us-central1.example.com", "weight": 100, "cost_per_gb": 0.08, "is_active": true}
        ],
        "health_probe": {"protocol": "https", "port": 443, "path": "/health", "interval_seconds": 30, "timeout_seconds": 5, "unhealthy_threshold": 3, "healthy_threshold": 2},
        "enable_auto_failover": true
    })
}

pub fn tracing_example() -> Value {
    json!({
        "name": "Jaeger production",
        "cluster_id": 1,
        "backend": "jaeger",
        "endpoint": "http://127.0.0.1:4318",
        "exporter": "http",
        "sampling_strategy": "probabilistic",
        "sampling_rate": 0.1,
        "include_request_headers": true,
        "service_name": "edge",
        "custom_tags": {"env": "prod"}
    })
}

/// Strip server-assigned fields so a response can be compared with the request.
pub fn without_meta(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    for k in ["id", "created_at", "updated_at"] {
        o.remove(k);
    }
    v
}
