//! The control plane's addresses: one replica, or several (`MARCHPROXY_CONTROL_PLANE` is a
//! comma-separated list; a DNS name with several addresses also works, as connections try
//! each address). Every call (register, long-poll, report) goes to the current replica; a
//! call that cannot reach it (connection refused or reset, timeout, a 5xx) moves every
//! caller on to the next one, so a killed replica costs one re-poll. The sync loop tries
//! each replica once before it backs off.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The replicas, and which one calls go to.
#[derive(Debug)]
pub struct ControlPlanes {
    urls: Vec<String>,
    current: AtomicUsize,
    /// Times calls moved on to another replica.
    pub failovers: AtomicU64,
}

impl ControlPlanes {
    /// Parse `a,b,…`: each an `http://` or `https://` base URL (a trailing `/` is dropped).
    pub fn parse(list: &str) -> anyhow::Result<Self> {
        let mut urls = Vec::new();
        for raw in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let url = reqwest::Url::parse(raw).map_err(|e| anyhow::anyhow!("control plane URL `{raw}`: {e}"))?;
            anyhow::ensure!(
                matches!(url.scheme(), "http" | "https") && url.host().is_some(),
                "control plane URL `{raw}`: expected http(s)://host[:port]"
            );
            urls.push(raw.trim_end_matches('/').to_string());
        }
        anyhow::ensure!(!urls.is_empty(), "no control plane URL given (MARCHPROXY_CONTROL_PLANE)");
        Ok(Self { urls, current: AtomicUsize::new(0), failovers: AtomicU64::new(0) })
    }

    /// The replica calls go to now: its index (for [`ControlPlanes::failed`]) and base URL.
    pub fn current(&self) -> (usize, &str) {
        let i = self.current.load(Ordering::Relaxed) % self.urls.len();
        (i, &self.urls[i])
    }

    /// A call to replica `index` could not reach it: move on to the next one, unless another
    /// caller already did (so one dead replica is skipped once, not once per caller).
    pub fn failed(&self, index: usize) {
        if self.urls.len() > 1
            && self
                .current
                .compare_exchange(index, (index + 1) % self.urls.len(), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.failovers.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(from = %self.urls[index], to = %self.urls[(index + 1) % self.urls.len()], "control plane unreachable; trying the next replica");
        }
    }

    pub fn all(&self) -> &[String] {
        &self.urls
    }

    pub fn len(&self) -> usize {
        self.urls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }
}

impl std::fmt::Display for ControlPlanes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.urls.join(","))
    }
}

/// Whether an answer means the replica is not serving (so the next one should be tried).
pub fn unavailable(status: reqwest::StatusCode) -> bool {
    status.is_server_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_refuses_nonsense() {
        let c = ControlPlanes::parse(" http://a:8000/ , https://b.example.com ").unwrap();
        assert_eq!(c.all(), ["http://a:8000", "https://b.example.com"]);
        for bad in ["", " , ", "ftp://a", "a:8000", "http://"] {
            assert!(ControlPlanes::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_failure_moves_every_caller_on_once() {
        let c = ControlPlanes::parse("http://a,http://b,http://c").unwrap();
        let (i, url) = c.current();
        assert_eq!((i, url), (0, "http://a"));
        // Two callers saw replica 0 fail: one move, not two.
        c.failed(i);
        c.failed(i);
        assert_eq!(c.current(), (1, "http://b"));
        assert_eq!(c.failovers.load(Ordering::Relaxed), 1);
        c.failed(1);
        c.failed(2);
        assert_eq!(c.current(), (0, "http://a"), "round robin back to the first");
        let one = ControlPlanes::parse("http://only").unwrap();
        one.failed(0);
        assert_eq!((one.current(), one.failovers.load(Ordering::Relaxed)), ((0, "http://only"), 0));
    }
}
