//! Resolving and connecting under the policy: [`OutboundPolicy::resolve`] (the allowed
//! addresses of a host, for TCP and ICMP), [`OutboundPolicy::connect_tcp`], and
//! [`PolicyConnector`], the same connect as a `tower` service of URIs (for tonic/hyper
//! clients). Addresses are checked after resolution and the connection goes to the checked
//! address itself, so a name that resolves differently on a second lookup (DNS rebinding)
//! gains nothing.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::error::{OutboundError, Refusal};
use crate::policy::OutboundPolicy;

impl OutboundPolicy {
    /// The addresses of `host` (a name or a literal address, IPv6 with or without
    /// brackets) that the policy allows, with `port`. Never empty: when every address is
    /// refused, the first refusal is the error.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError> {
        let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            self.check_ip(ip)
                .map_err(|reason| OutboundError::Refused(Refusal { host: bare.to_string(), resolved: None, reason }))?;
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        self.check_name(bare)
            .map_err(|reason| OutboundError::Refused(Refusal { host: bare.to_string(), resolved: None, reason }))?;
        let found: Vec<SocketAddr> = match self.static_host(bare) {
            Some(ips) => ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
            None => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|source| OutboundError::Resolve { host: bare.to_string(), source })?
                .collect(),
        };
        let mut refused = None;
        let mut allowed = Vec::with_capacity(found.len());
        for a in found {
            match self.check_ip(a.ip()) {
                Ok(()) => allowed.push(a),
                Err(reason) => {
                    refused.get_or_insert(Refusal { host: bare.to_string(), resolved: Some(a.ip()), reason });
                }
            }
        }
        match (allowed.is_empty(), refused) {
            (false, _) => Ok(allowed),
            (true, Some(r)) => Err(OutboundError::Refused(r)),
            (true, None) => Err(OutboundError::NoAddress { host: bare.to_string() }),
        }
    }

    /// A TCP connection to `host:port`: resolved, checked, then each allowed address tried
    /// in turn (no timeout of its own; callers bound it).
    pub async fn connect_tcp(&self, host: &str, port: u16) -> Result<TcpStream, OutboundError> {
        let mut last = None;
        for addr in self.resolve(host, port).await? {
            match TcpStream::connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(OutboundError::Connect(last.unwrap_or_else(|| std::io::Error::other("no address"))))
    }

    /// This policy's connect as a connector of URIs (`http`/`https`, TLS left to the
    /// caller), e.g. for tonic's `Endpoint::connect_with_connector_lazy`.
    pub fn connector(&self) -> PolicyConnector {
        PolicyConnector { policy: self.clone() }
    }
}

/// Connects to a URI's host and port under the policy (TCP_NODELAY set).
#[derive(Clone, Debug)]
pub struct PolicyConnector {
    policy: OutboundPolicy,
}

impl tower_service::Service<http::Uri> for PolicyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = OutboundError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = uri.host().ok_or_else(|| OutboundError::BadUrl("missing host".into()))?;
            let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
            let stream = policy.connect_tcp(host, port).await?;
            let _ = stream.set_nodelay(true);
            Ok(TokioIo::new(stream))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::policy::{AddrClass, Reason};

    /// A loopback listener that counts the connections it accepts.
    async fn counting_listener() -> (SocketAddr, Arc<AtomicUsize>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        tokio::spawn(async move {
            while let Ok((_s, _)) = l.accept().await {
                h.fetch_add(1, Ordering::SeqCst);
            }
        });
        (addr, hits)
    }

    #[tokio::test]
    async fn literal_and_resolved_metadata_addresses_are_refused_without_connecting() {
        let metadata = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));
        let p = OutboundPolicy::default().with_host("metadata.test", &[metadata]);
        let started = std::time::Instant::now();
        let e = p.connect_tcp("169.254.169.254", 80).await.unwrap_err();
        assert_eq!(e.to_string(), "refused by outbound policy: 169.254.169.254 is a cloud metadata address");
        let e = p.connect_tcp("metadata.test", 80).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "refused by outbound policy: metadata.test resolves to 169.254.169.254, a cloud metadata address"
        );
        let e = p.connect_tcp("[fe80::1]", 80).await.unwrap_err();
        assert!(e.is_refused() && e.to_string().contains("link-local"), "{e}");
        let e = p.connect_tcp("metadata.google.internal", 80).await.unwrap_err();
        assert!(e.to_string().contains("cloud metadata host name"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_millis(500), "refusals are immediate");
    }

    #[tokio::test]
    async fn a_name_resolving_to_a_refused_address_is_never_contacted() {
        let (addr, hits) = counting_listener().await;
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        // Allowed by default...
        let open = OutboundPolicy::default().with_host("svc.test", &[loopback]);
        open.connect_tcp("svc.test", addr.port()).await.unwrap();
        // ...refused with private ranges off, or when denied by a list.
        let closed = OutboundPolicy::new(false, vec![], vec![]).with_host("svc.test", &[loopback]);
        let e = closed.connect_tcp("svc.test", addr.port()).await.unwrap_err();
        assert!(matches!(&e, OutboundError::Refused(r) if r.reason == Reason::Class(AddrClass::Loopback)), "{e}");
        let denied =
            OutboundPolicy::new(true, vec![], vec!["127.0.0.0/8".parse().unwrap()]).with_host("svc.test", &[loopback]);
        assert!(denied.connect_tcp("svc.test", addr.port()).await.unwrap_err().is_refused());
        assert!(denied.connect_tcp("127.0.0.1", addr.port()).await.unwrap_err().is_refused());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(hits.load(Ordering::SeqCst), 1, "only the allowed connect reached the listener");
    }

    #[tokio::test]
    async fn mixed_answers_keep_only_allowed_addresses() {
        let (addr, hits) = counting_listener().await;
        let p = OutboundPolicy::default()
            .with_host("mixed.test", &["169.254.169.254".parse().unwrap(), IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        assert_eq!(p.resolve("mixed.test", addr.port()).await.unwrap(), vec![addr]);
        p.connect_tcp("mixed.test", addr.port()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn connect_failures_are_summarised() {
        let e = OutboundPolicy::default().connect_tcp("127.0.0.1", 9).await.unwrap_err();
        assert_eq!(e.to_string(), "connection refused");
        let e = OutboundPolicy::default().connect_tcp("no-such-host.invalid", 80).await.unwrap_err();
        assert_eq!(e.to_string(), "cannot resolve no-such-host.invalid");
    }
}
