//! Services: what a cluster's proxies answer for (host names and a path prefix, or a TCP
//! port); a service's enabled route table says where its traffic goes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationErrors;
use crate::{Timestamp, path};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServiceProtocol {
    Http,
    Https,
    Tcp,
}

fn default_prefix() -> String {
    "/".into()
}
fn default_true() -> bool {
    true
}

/// A service: the hostnames (and path prefix) a proxy answers for; its enabled
/// route table says where the traffic goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServiceSpec {
    #[schema(schema_with = crate::schema::name)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(minimum = 1)]
    pub cluster_id: i64,
    /// Host names matched against the `Host` header (`*.example.com` wildcards allowed).
    #[serde(default)]
    #[schema(schema_with = crate::schema::hostnames)]
    pub hostnames: Vec<String>,
    #[serde(default = "default_prefix")]
    #[schema(
        max_length = 1024,
        pattern = r"^/[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(?!\n)$"
    )]
    pub path_prefix: String,
    pub protocol: ServiceProtocol,
    /// For `tcp` services: the port of the proxy's L4 listener.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 65535)]
    pub listen_port: Option<u16>,
    #[serde(default = "default_true")]
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Service {
    pub id: i64,
    #[serde(flatten)]
    pub spec: ServiceSpec,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

impl ServiceSpec {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.text(path!["name"], &self.name, 100);
        e.description(&self.description);
        if self.cluster_id < 1 {
            e.add(path!["cluster_id"], "must be a positive id");
        }
        if self.hostnames.len() > 64 {
            e.add(path!["hostnames"], "at most 64 hostnames");
        }
        for (i, h) in self.hostnames.iter().enumerate() {
            if !valid_hostname(h) {
                e.add(path!["hostnames", i], "must be a DNS name (optionally starting with `*.`) or an IP address");
            }
        }
        if !self.path_prefix.starts_with('/')
            || self.path_prefix.chars().count() > 1024
            || self.path_prefix.contains(char::is_whitespace)
        {
            e.add(path!["path_prefix"], "must be an absolute path without spaces");
        }
        match (self.protocol, self.listen_port) {
            (ServiceProtocol::Tcp, None) => e.add(path!["listen_port"], "is required for tcp services"),
            (_, Some(0)) => e.add(path!["listen_port"], "must be between 1 and 65535"),
            (ServiceProtocol::Http | ServiceProtocol::Https, None) if self.hostnames.is_empty() => {
                e.add(path!["hostnames"], "an http(s) service needs at least one hostname")
            }
            _ => {}
        }
        e.into_result()
    }
}

fn valid_hostname(h: &str) -> bool {
    if h.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name = h.strip_prefix("*.").unwrap_or(h);
    !name.is_empty()
        && h.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        assert!(valid_hostname("api.example.com"));
        assert!(valid_hostname("*.example.com"));
        assert!(valid_hostname("127.0.0.1"));
        assert!(valid_hostname("localhost"));
        assert!(!valid_hostname("bad host"));
        assert!(!valid_hostname("-x.example.com"));
        assert!(!valid_hostname(""));
    }

    #[test]
    fn tcp_needs_port() {
        let s = ServiceSpec {
            name: "db".into(),
            description: None,
            cluster_id: 1,
            hostnames: vec![],
            path_prefix: "/".into(),
            protocol: ServiceProtocol::Tcp,
            listen_port: None,
            enabled: true,
        };
        assert_eq!(s.validate().unwrap_err().to_string(), "body.listen_port: is required for tcp services");
    }
}
