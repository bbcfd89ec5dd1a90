//! The `grpc` health probe: `grpc.health.v1.Health/Check` over HTTP/2 (h2c, or TLS with
//! ALPN h2), through the outbound policy like every probe. Healthy when the server answers
//! `SERVING`; `NOT_SERVING`, `SERVICE_UNKNOWN`, a gRPC error or an HTTP error is unhealthy.
//! The messages are two one-field protobufs, encoded and decoded here.

use std::sync::{Arc, OnceLock};

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::{TokioExecutor, TokioIo};
use marchproxy_outbound::OutboundPolicy;

/// The largest answer read (a HealthCheckResponse is a few bytes).
const MAX_ANSWER: usize = 16 * 1024;

/// `HealthCheckRequest { service }`, framed for gRPC (uncompressed, 4-byte length).
fn request_frame(service: &str) -> Bytes {
    let mut msg = BytesMut::new();
    if !service.is_empty() {
        msg.put_u8(0x0a); // field 1, length-delimited
        put_varint(&mut msg, service.len() as u64);
        msg.put_slice(service.as_bytes());
    }
    let mut out = BytesMut::with_capacity(5 + msg.len());
    out.put_u8(0);
    out.put_u32(msg.len() as u32);
    out.put_slice(&msg);
    out.freeze()
}

fn put_varint(b: &mut BytesMut, mut v: u64) {
    while v >= 0x80 {
        b.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    b.put_u8(v as u8);
}

fn varint(b: &[u8], i: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*i)?;
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

/// `HealthCheckResponse.status` from one gRPC frame (0 UNKNOWN when absent).
fn response_status(frame: &[u8]) -> Result<u64, String> {
    let (head, msg) = frame.split_at_checked(5).ok_or("truncated gRPC frame")?;
    if head[0] != 0 {
        return Err("compressed answer (not asked for)".into());
    }
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let msg = msg.get(..len).ok_or("truncated gRPC message")?;
    let (mut i, mut status) = (0, 0);
    while i < msg.len() {
        let tag = varint(msg, &mut i).ok_or("bad protobuf")?;
        match (tag >> 3, tag & 7) {
            (1, 0) => status = varint(msg, &mut i).ok_or("bad protobuf")?,
            (_, 0) => {
                varint(msg, &mut i).ok_or("bad protobuf")?;
            }
            (_, 2) => {
                let n = varint(msg, &mut i).ok_or("bad protobuf")? as usize;
                i = i.checked_add(n).filter(|e| *e <= msg.len()).ok_or("bad protobuf")?;
            }
            (_, 1) => i += 8,
            (_, 5) => i += 4,
            _ => return Err("bad protobuf".into()),
        }
    }
    Ok(status)
}

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CFG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        Arc::new(cfg)
    })
    .clone()
}

/// Ask `host:port` whether `service` is serving. The caller bounds the time.
pub async fn check(policy: &OutboundPolicy, host: &str, port: u16, tls: bool, service: &str) -> Result<(), String> {
    let tcp = policy.connect_tcp(host, port).await.map_err(|e| format!("TCP connect to {host}:{port}: {e}"))?;
    let authority = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let handshake = |e: hyper::Error| format!("HTTP/2 handshake with {authority}: {e}");
    let mut send = if tls {
        let name = rustls_pki_types::ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
        let stream = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {authority}: {e}"))?;
        if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(format!("{authority} did not offer HTTP/2 (ALPN h2)"));
        }
        let (send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .map_err(handshake)?;
        tokio::spawn(conn);
        send
    } else {
        let (send, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await.map_err(handshake)?;
        tokio::spawn(conn);
        send
    };
    let scheme = if tls { "https" } else { "http" };
    let req = hyper::Request::post(format!("{scheme}://{authority}/grpc.health.v1.Health/Check"))
        .header(hyper::header::CONTENT_TYPE, "application/grpc")
        .header(hyper::header::TE, "trailers")
        .header(hyper::header::USER_AGENT, "marchproxy-health/1")
        .body(Full::new(request_frame(service)))
        .map_err(|e| e.to_string())?;
    let resp = send.send_request(req).await.map_err(|e| format!("gRPC health check: {e}"))?;
    if resp.status() != hyper::StatusCode::OK {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    grpc_status(resp.headers())?;
    let body = Limited::new(resp.into_body(), MAX_ANSWER).collect().await.map_err(|e| format!("gRPC answer: {e}"))?;
    if let Some(t) = body.trailers() {
        grpc_status(t)?;
    }
    match response_status(&body.to_bytes())? {
        1 => Ok(()),
        2 => Err("NOT_SERVING".into()),
        3 => Err("SERVICE_UNKNOWN".into()),
        n => Err(format!("health status {n}")),
    }
}

/// A `grpc-status` other than OK, as an error (its message bounded and made printable).
fn grpc_status(h: &hyper::HeaderMap) -> Result<(), String> {
    match h.get("grpc-status").and_then(|v| v.to_str().ok()) {
        None | Some("0") => Ok(()),
        Some(code) => {
            let msg: String = h
                .get("grpc-message")
                .map(|m| String::from_utf8_lossy(m.as_bytes()).chars().filter(|c| !c.is_control()).take(120).collect())
                .unwrap_or_default();
            Err(format!("grpc-status {code} {msg}").trim_end().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let f = request_frame("pkg.Svc");
        assert_eq!(&f[..5], &[0, 0, 0, 0, 9]);
        assert_eq!(&f[5..], b"\x0a\x07pkg.Svc");
        assert_eq!(request_frame("").as_ref(), &[0, 0, 0, 0, 0]);
        // status SERVING (1), with an unknown string field before it.
        assert_eq!(response_status(&[0, 0, 0, 0, 5, 0x12, 0x01, b'x', 0x08, 0x01]), Ok(1));
        assert_eq!(response_status(&[0, 0, 0, 0, 2, 0x08, 0x02]), Ok(2));
        assert_eq!(response_status(&[0, 0, 0, 0, 0]), Ok(0));
        for bad in [&[0u8, 0, 0][..], &[0, 0, 0, 0, 9, 0x08], &[1, 0, 0, 0, 0], &[0, 0, 0, 0, 2, 0x12, 0x09]] {
            assert!(response_status(bad).is_err(), "{bad:?}");
        }
    }
}
