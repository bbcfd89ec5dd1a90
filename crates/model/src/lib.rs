//! MarchProxy's shared model: the domain types that the control plane stores and
//! serves, and the configuration snapshot that proxies enforce.
//!
//! Layout:
//! - [`error`]: field-level validation errors (`loc`/`msg`/`type`), the shape API clients parse.
//! - [`cluster`]: clusters, services and proxies.
//! - [`qos`]: traffic-shaping policies (bandwidth, priority classes, DSCP).
//! - [`routing`]: multi-cloud route tables, health probes and endpoint health.
//! - [`tracing_cfg`]: distributed-tracing configurations.
//! - [`snapshot`]: the versioned per-cluster snapshot a proxy receives.
//! - [`report`]: registration and the traffic/tracing/QoS reports proxies send back.
//!
//! Architecture invariant: this crate knows nothing about SQL, HTTP or sockets. It
//! only parses, validates and describes.
#![forbid(unsafe_code)]

pub mod cluster;
pub mod error;
pub mod qos;
pub mod report;
pub mod routing;
pub mod snapshot;
pub mod tracing_cfg;

pub use error::{FieldError, ValidationErrors};

/// Timestamps in the model are UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
