//! Clusters: a group of proxies sharing one configuration (one `config_version`, one API
//! key). Services ([`crate::service`]) and proxies ([`crate::proxy`]) belong to one cluster.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationErrors;
use crate::{Timestamp, path};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClusterSpec {
    #[schema(schema_with = crate::schema::name)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Cluster {
    pub id: i64,
    #[serde(flatten)]
    pub spec: ClusterSpec,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

impl ClusterSpec {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.text(path!["name"], &self.name, 100);
        e.description(&self.description);
        e.into_result()
    }
}
