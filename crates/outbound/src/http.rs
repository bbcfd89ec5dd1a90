//! [`HttpClient`]: reqwest under the policy. Redirects are never followed (a 3xx is the
//! answer), proxies from the environment are not used (the policy must see the real
//! target), host names resolve through the policy ([`PolicyResolver`]), and a URL whose
//! host is a literal address (which reqwest connects to without resolving) is checked
//! when the request is made. [`read_limited`] reads an answer up to a size.

use std::net::IpAddr;

use bytes::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Method, RequestBuilder, Url};

use crate::error::{OutboundError, Refusal};
use crate::policy::OutboundPolicy;

/// reqwest's DNS resolver under the policy: only allowed addresses come back.
#[derive(Clone, Debug)]
pub struct PolicyResolver {
    policy: OutboundPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let addrs = policy.resolve(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client whose every request obeys the policy.
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: OutboundPolicy,
}

impl OutboundPolicy {
    /// An [`HttpClient`] from `builder` (timeouts, user agent…), with redirects off, no
    /// environment proxies and this policy's resolver.
    pub fn http_client(&self, builder: reqwest::ClientBuilder) -> reqwest::Result<HttpClient> {
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(PolicyResolver { policy: self.clone() })
            .build()?;
        Ok(HttpClient { client, policy: self.clone() })
    }

    /// Checks an http(s) URL's host without resolving it: a literal address is decided
    /// here, a metadata host name is refused; other names are decided when they resolve.
    pub fn check_url(&self, url: &Url) -> Result<(), OutboundError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::BadUrl("the scheme must be http or https".into()));
        }
        let refused = |host: String, reason| OutboundError::Refused(Refusal { host, resolved: None, reason });
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)).map_err(|r| refused(ip.to_string(), r)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)).map_err(|r| refused(ip.to_string(), r)),
            Some(url::Host::Domain(d)) => self.check_name(d).map_err(|r| refused(d.to_string(), r)),
            None => Err(OutboundError::BadUrl("missing host".into())),
        }
    }
}

impl HttpClient {
    pub fn policy(&self) -> &OutboundPolicy {
        &self.policy
    }

    /// A request to `url` after [`OutboundPolicy::check_url`].
    pub fn request(&self, method: Method, url: &str) -> Result<RequestBuilder, OutboundError> {
        let url = Url::parse(url.trim()).map_err(|e| OutboundError::BadUrl(e.to_string()))?;
        self.request_url(method, url)
    }

    pub fn request_url(&self, method: Method, url: Url) -> Result<RequestBuilder, OutboundError> {
        self.policy.check_url(&url)?;
        Ok(self.client.request(method, url))
    }

    pub fn get(&self, url: &str) -> Result<RequestBuilder, OutboundError> {
        self.request(Method::GET, url)
    }

    pub fn post(&self, url: &str) -> Result<RequestBuilder, OutboundError> {
        self.request(Method::POST, url)
    }
}

/// Why [`read_limited`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{}", crate::summary::summarize(.0))]
    Read(#[from] reqwest::Error),
}

/// The body of `resp`, or an error as soon as it exceeds `max` bytes.
pub async fn read_limited(mut resp: reqwest::Response, max: usize) -> Result<Bytes, ReadError> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(ReadError::TooLarge(max));
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp.chunk().await? {
        if buf.len() + chunk.len() > max {
            return Err(ReadError::TooLarge(max));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::summary::summarize;

    /// A local server: `/redirect` answers 302 to `target`, `/secret` a 500 with a secret body.
    async fn server(target: String) -> String {
        let app = axum::Router::new()
            .route(
                "/redirect",
                axum::routing::get(move || {
                    let t = target.clone();
                    async move { (axum::http::StatusCode::FOUND, [("location", t)], "") }
                }),
            )
            .route("/ok", axum::routing::get(|| async { "ok" }));
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        url
    }

    async fn counting_server() -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        let app = axum::Router::new().fallback(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async { "counted" }
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (url, hits)
    }

    fn client(p: &OutboundPolicy) -> HttpClient {
        p.http_client(reqwest::Client::builder().timeout(Duration::from_secs(5))).unwrap()
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let (second, hits) = counting_server().await;
        let first = server(format!("{second}/landing")).await;
        let c = client(&OutboundPolicy::default());
        let resp = c.get(&format!("{first}/redirect")).unwrap().send().await.unwrap();
        assert_eq!(resp.status(), reqwest::StatusCode::FOUND);
        assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect target was contacted");
    }

    #[tokio::test]
    async fn literal_and_resolved_refusals_happen_before_connecting() {
        let (url, hits) = counting_server().await;
        let port = url.rsplit(':').next().unwrap();
        let p = OutboundPolicy::new(true, vec![], vec!["127.0.0.1/32".parse().unwrap()])
            .with_host("backend.test", &[IpAddr::from([127, 0, 0, 1])])
            .with_host("metadata.test", &[IpAddr::from([169, 254, 169, 254])]);
        let c = client(&p);
        let started = Instant::now();
        let e = c.get(&format!("http://127.0.0.1:{port}/")).unwrap_err();
        assert!(e.to_string().contains("refused by outbound policy: 127.0.0.1 is in a denied range"), "{e}");
        let e = c.get(&format!("http://backend.test:{port}/")).unwrap().send().await.unwrap_err();
        assert!(summarize(&e).starts_with("refused by outbound policy: backend.test resolves to 127.0.0.1"), "{e:?}");
        let e = c.get("http://169.254.169.254/latest/meta-data/").unwrap_err();
        assert_eq!(e.to_string(), "refused by outbound policy: 169.254.169.254 is a cloud metadata address");
        // Other spellings of the same address are the same address.
        for u in ["http://2852039166/", "http://0xa9.0xfe.0xa9.0xfe/", "http://[::ffff:169.254.169.254]/"] {
            assert!(c.get(u).unwrap_err().is_refused(), "{u}");
        }
        let e = c.get("http://metadata.test/computeMetadata/v1/").unwrap().send().await.unwrap_err();
        assert_eq!(
            summarize(&e),
            "refused by outbound policy: metadata.test resolves to 169.254.169.254, a cloud metadata address"
        );
        let e = c.get("http://metadata.google.internal/").unwrap_err();
        assert!(e.is_refused());
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(hits.load(Ordering::SeqCst), 0);
        assert!(c.get("ftp://example.com/").is_err());
    }

    #[tokio::test]
    async fn read_limited_stops_at_the_limit() {
        let app = axum::Router::new().route("/big", axum::routing::get(|| async { "x".repeat(10_000) }));
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/big", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        let c = client(&OutboundPolicy::default());
        let r = c.get(&url).unwrap().send().await.unwrap();
        assert!(matches!(read_limited(r, 1000).await, Err(ReadError::TooLarge(1000))));
        let r = c.get(&url).unwrap().send().await.unwrap();
        assert_eq!(read_limited(r, 10_000).await.unwrap().len(), 10_000);
    }
}
