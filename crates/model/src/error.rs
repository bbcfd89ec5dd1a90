//! Field-level validation errors.
//!
//! The shape is FastAPI's (`{"loc": [...], "msg": ..., "type": ...}`), because existing
//! MarchProxy clients parse it.

use serde::Serialize;

/// One invalid field: where it is, what is wrong, and a machine-readable kind.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Path to the field, starting with `body`, `query` or `path`.
    #[schema(value_type = Vec<Object>)]
    pub loc: Vec<serde_json::Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// All the problems found in one input; validation reports every bad field at once.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Record an error for the field at `path` (dot-free components, e.g. `["routes", 0, "endpoint"]`).
    pub fn add(&mut self, path: &[PathSeg<'_>], msg: impl Into<String>) {
        let mut loc = Vec::with_capacity(path.len() + 1);
        loc.push(serde_json::Value::from("body"));
        for seg in path {
            loc.push(match seg {
                PathSeg::Key(k) => serde_json::Value::from(*k),
                PathSeg::Index(i) => serde_json::Value::from(*i),
            });
        }
        self.errors.push(FieldError { loc, msg: msg.into(), kind: "value_error".into() });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Check `lo <= v <= hi`.
    pub fn range<T: PartialOrd + std::fmt::Display + Copy>(&mut self, path: &[PathSeg<'_>], v: T, lo: T, hi: T) {
        if v < lo || v > hi {
            self.add(path, format!("must be between {lo} and {hi}"));
        }
    }

    /// Check the optional free-text `description` field (at most 2000 characters).
    pub fn description(&mut self, d: &Option<String>) {
        if d.as_ref().is_some_and(|d| d.chars().count() > 2000) {
            self.add(&[PathSeg::Key("description")], "must be at most 2000 characters");
        }
    }

    /// Check a required, bounded-length name-like string.
    pub fn text(&mut self, path: &[PathSeg<'_>], v: &str, max: usize) {
        if v.trim().is_empty() {
            self.add(path, "must not be empty");
        } else if v.chars().count() > max {
            self.add(path, format!("must be at most {max} characters"));
        } else if v.chars().any(|c| c.is_control()) {
            self.add(path, "must not contain control characters");
        }
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            let path: Vec<String> = e.loc.iter().map(|v| v.to_string().trim_matches('"').to_string()).collect();
            write!(f, "{}: {}", path.join("."), e.msg)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// One component of a field path.
#[derive(Debug, Clone, Copy)]
pub enum PathSeg<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> From<&'a str> for PathSeg<'a> {
    fn from(k: &'a str) -> Self {
        PathSeg::Key(k)
    }
}

impl From<usize> for PathSeg<'_> {
    fn from(i: usize) -> Self {
        PathSeg::Index(i)
    }
}

/// Build a path: `path!["routes", i, "endpoint"]`.
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => { &[$($crate::error::PathSeg::from($seg)),*] };
}

/// Validate an endpoint: a URL with a host (http, https, tcp, grpc schemes) or `host:port`.
pub fn parse_endpoint(s: &str) -> Result<Endpoint, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.len() > 255 {
        return Err("must be at most 255 characters".into());
    }
    if s.contains("://") {
        let u = url::Url::parse(s).map_err(|e| format!("is not a valid URL: {e}"))?;
        let scheme = u.scheme().to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https" | "tcp" | "grpc" | "grpcs") {
            return Err(format!("unsupported URL scheme `{scheme}` (use http, https, grpc, grpcs or tcp)"));
        }
        let host = u.host_str().filter(|h| !h.is_empty()).ok_or("URL has no host")?;
        let port = u
            .port_or_known_default()
            .or(match scheme.as_str() {
                "grpc" => Some(80),
                "grpcs" => Some(443),
                _ => None,
            })
            .ok_or("URL has no port")?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        Ok(Endpoint { scheme, host, port, path: u.path().to_string() })
    } else {
        let (host, port) = s.rsplit_once(':').ok_or("must be a URL or host:port")?;
        let port: u16 = port.parse().map_err(|_| "port must be a number between 1 and 65535".to_string())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || port == 0 {
            return Err("must be a URL or host:port".into());
        }
        if host.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err("host contains invalid characters".into());
        }
        Ok(Endpoint { scheme: "tcp".into(), host: host.to_string(), port, path: "/".into() })
    }
}

/// A parsed endpoint address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_as_url_or_host_port() {
        let e = parse_endpoint("https://api.us-east-1.example.com").unwrap();
        assert_eq!((e.scheme.as_str(), e.host.as_str(), e.port), ("https", "api.us-east-1.example.com", 443));
        let e = parse_endpoint("10.0.0.1:8080").unwrap();
        assert_eq!((e.scheme.as_str(), e.port), ("tcp", 8080));
        let e = parse_endpoint("http://[::1]:9000/x").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 9000));
        assert!(parse_endpoint("not a url").is_err());
        assert!(parse_endpoint("ftp://x.example.com").is_err());
        assert!(parse_endpoint("host:99999").is_err());
        assert!(parse_endpoint("").is_err());
    }

    #[test]
    fn errors_carry_body_prefixed_locations() {
        let mut e = ValidationErrors::new();
        e.add(path!["routes", 2, "endpoint"], "bad");
        let json = serde_json::to_value(&e.errors[0]).unwrap();
        assert_eq!(json["loc"], serde_json::json!(["body", "routes", 2, "endpoint"]));
        assert_eq!(json["type"], "value_error");
    }
}
