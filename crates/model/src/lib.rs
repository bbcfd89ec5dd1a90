//! MarchProxy's shared model: the domain types that the control plane stores and
//! serves, and the configuration snapshot that proxies enforce.
//!
//! Layout:
//! - [`error`]: field-level validation errors (`loc`/`msg`/`type`), the shape API clients parse.
//! - [`cluster`], [`service`], [`proxy`]: clusters, the services their proxies answer for,
//!   and the registered proxies.
//! - [`qos`]: traffic-shaping policies (bandwidth, priority classes, DSCP).
//! - [`route_table`]: multi-cloud route tables, health probes and endpoint health.
//! - [`tracing_config`]: distributed-tracing configurations.
//! - [`snapshot`]: the versioned per-cluster snapshot a proxy receives.
//! - [`report`]: registration and the traffic/tracing/QoS reports proxies send back.
//!
//! Architecture invariant: this crate knows nothing about SQL, HTTP or sockets. It
//! only parses, validates and describes.
#![forbid(unsafe_code)]

pub mod cluster;
pub mod error;
pub mod proxy;
pub mod qos;
pub mod report;
pub mod route_table;
pub mod schema;
pub mod service;
pub mod snapshot;
pub mod tracing_config;

pub use error::{FieldError, ValidationErrors};

/// Timestamps in the model are UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
