//! Proxies: the data-plane instances registered with the control plane.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Timestamp;

/// A data-plane proxy registered with the control plane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Proxy {
    pub id: i64,
    pub cluster_id: i64,
    pub name: String,
    pub version: String,
    pub address: Option<String>,
    /// `online` when the proxy was seen within the liveness window.
    pub status: String,
    #[schema(value_type = String)]
    pub last_seen: Timestamp,
    pub config_version: i64,
    #[schema(value_type = String)]
    pub registered_at: Timestamp,
}
