//! Opening an upstream connection, for both pools: the HTTP/1.1 one (pool.rs, including
//! the ALPN negotiation of `https://` endpoints) and the HTTP/2 one (h2.rs).

use std::time::Duration;

use http::uri::{Authority, Scheme, Uri};
use hyper_util::rt::TokioIo;

use crate::dscp::DscpConnector;
use crate::upstream::error::UpError;

/// Opens upstream connections: TCP with the pool's DSCP mark set before the SYN and
/// TCP_NODELAY, then TLS (with the ALPN protocols it was built with) for https.
pub(crate) type HttpsConnector = hyper_rustls::HttpsConnector<DscpConnector>;
/// A new upstream connection, before any HTTP.
pub(crate) type Io = hyper_rustls::MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// A new connection to `scheme://authority` by `connector`. TCP has its own deadline (the
/// connector's); `limit` bounds the whole, TLS handshake included (the upstream's step).
pub(crate) async fn open(
    connector: &HttpsConnector,
    scheme: Scheme,
    authority: &Authority,
    limit: Duration,
) -> Result<Io, UpError> {
    use tower_service::Service;
    let uri = Uri::builder()
        .scheme(scheme)
        .authority(authority.clone())
        .path_and_query("/")
        .build()
        .map_err(|e| UpError::Connect(e.to_string()))?;
    match tokio::time::timeout(limit, connector.clone().call(uri)).await {
        Ok(io) => io.map_err(|e| UpError::Connect(e.to_string())),
        Err(_) => Err(UpError::Connect("timed out".into())),
    }
}

/// Whether ALPN chose h2 on a TLS connection (false for a plain one).
pub(crate) fn alpn_chose_h2(io: &Io) -> bool {
    match io {
        hyper_rustls::MaybeHttpsStream::Https(tls) => tls.inner().get_ref().1.alpn_protocol() == Some(b"h2"),
        hyper_rustls::MaybeHttpsStream::Http(_) => false,
    }
}
