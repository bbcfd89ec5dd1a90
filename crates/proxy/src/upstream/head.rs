//! Response heads from the upstream: read and parsed in one pass with httparse (hop-by-hop
//! fields and the names `Connection` lists never enter the header map; framing and
//! `close` are read from the bytes), 1xx answers skipped, and the body's framing decided
//! (RFC 9112 §6.3).

use std::io;

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::upstream::error::{Exchange, UpError};
use crate::wire::Chunked;

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Most header lines in a response head.
const MAX_HEADERS: usize = 128;
/// Buffer for a response head (and, usually, a small body with it). Held by every request
/// waiting for its answer: 2 KiB takes a common head and a 1 KiB body in one read, and at
/// 1,000 requests in flight holds 2 MiB less than 4 KiB did.
const HEAD_CHUNK: usize = 2 * 1024;

/// The response head as parsed. Small (56 bytes): it is moved about a dozen times from the
/// parser to the response, and each move of the 200 bytes it had inline was a memcpy.
pub(crate) struct Head {
    pub(crate) status: StatusCode,
    /// End-to-end fields only: hop-by-hop fields, and those named by `Connection`, are
    /// left out as the head is parsed.
    pub(crate) fields: Fields,
    pub(crate) http10: bool,
    /// `Connection: close` was sent.
    pub(crate) close: bool,
    /// The `Upgrade` field (hop-by-hop, so not in the fields): the protocol a `101` switches
    /// to. Boxed: rare.
    pub(crate) upgrade: Option<Box<Bytes>>,
    /// A `Transfer-Encoding` field was sent; true when the last coding of its last line is
    /// `chunked`.
    pub(crate) transfer_chunked: Option<bool>,
    /// `Content-Length`: absent, one agreed value, or why it is invalid.
    pub(crate) content_length: Result<Option<u64>, &'static str>,
    /// Exactly one `Content-Length` line, holding only digits: forwarded as it is.
    pub(crate) length_clean: bool,
}

/// A response head's end-to-end fields.
pub(crate) enum Fields {
    Map(Box<HeaderMap>),
    /// As HTTP/1.1 lines, ready to write, Content-Length aside, when the exchange asked for
    /// them ([`WireHead`]) instead of a header map.
    Lines(Box<WireHead>),
}

/// A response head's end-to-end fields as the HTTP/1.1 lines the client gets, for a response
/// that only an HTTP/1.x client reads (h1.rs writes them as they are): no header map is
/// built, hashed, searched and dropped per response. Names keep the upstream's spelling.
#[derive(Debug, Default)]
pub struct WireHead {
    /// `name: value\r\n` lines: the fields a header map would hold, without Content-Length.
    pub(crate) lines: Vec<u8>,
    /// The Content-Length the client is told (the map's, after [`framing_of`]): the
    /// upstream's agreed value, none when Transfer-Encoding overrides it.
    pub(crate) content_length: Option<u64>,
    /// The upstream sent a Date field.
    pub(crate) has_date: bool,
}

impl Head {
    /// Build a head from the parsed fields (byte ranges of name and value within `raw`), in
    /// one pass and without a header-map lookup: framing and `Connection` are read from the
    /// bytes, and hop-by-hop fields never enter the map. `wire`: keep the end-to-end fields
    /// as HTTP/1.1 lines instead of a map (not for 1xx heads, whose fields go elsewhere).
    fn build(
        status: StatusCode,
        http10: bool,
        raw: &Bytes,
        fields: impl Iterator<Item = (std::ops::Range<usize>, std::ops::Range<usize>)> + Clone,
        wire: bool,
    ) -> Result<Head, UpError> {
        let is = |name: &[u8], want: &[u8]| name.eq_ignore_ascii_case(want);
        // Connection: `close`, and the other names it lists (rare: no allocation without).
        let mut close = false;
        let mut listed: Vec<&[u8]> = Vec::new();
        for (n, v) in fields.clone() {
            if is(&raw[n], b"connection") {
                let value = &raw[v];
                close |= crate::wire::lists_token(value, b"close");
                listed.extend(crate::wire::connection_listed(value));
            }
        }
        let wire = wire && !status.is_informational();
        let mut head = Head {
            status,
            fields: if wire {
                Fields::Lines(Box::new(WireHead { lines: Vec::with_capacity(raw.len()), ..WireHead::default() }))
            } else {
                Fields::Map(Box::new(HeaderMap::with_capacity(fields.clone().count())))
            },
            http10,
            close,
            upgrade: None,
            transfer_chunked: None,
            content_length: Ok(None),
            length_clean: false,
        };
        let mut length_lines = 0;
        for (n, v) in fields {
            let (name, value) = (&raw[n.clone()], &raw[v.clone()]);
            if crate::wire::is_hop_by_hop_name(name) {
                if is(name, b"transfer-encoding") {
                    // The last line decides.
                    head.transfer_chunked = Some(crate::wire::chunked_last(value));
                } else if is(name, b"upgrade") {
                    head.upgrade = Some(Box::new(raw.slice(v)));
                }
                continue;
            }
            let length_line = is(name, b"content-length");
            if length_line {
                // Framing reads every Content-Length line, even one Connection lists.
                length_lines += 1;
                head.length_clean = length_lines == 1 && !value.is_empty() && value.iter().all(u8::is_ascii_digit);
                head.content_length = merge_length(head.content_length, value);
            }
            if listed.iter().any(|t| is(t, name)) {
                continue;
            }
            match &mut head.fields {
                Fields::Lines(w) => {
                    // httparse checked the name's and the value's characters as HeaderName and
                    // HeaderValue would (a token; no control characters but HTAB).
                    if !length_line {
                        w.has_date |= is(name, b"date");
                        w.lines.extend_from_slice(&raw[n.start..v.end]);
                        w.lines.extend_from_slice(b"\r\n");
                    }
                }
                Fields::Map(m) => {
                    let name = HeaderName::from_bytes(name).map_err(|_| UpError::Protocol("bad header name"))?;
                    let value = HeaderValue::from_maybe_shared(raw.slice(v))
                        .map_err(|_| UpError::Protocol("bad header value"))?;
                    m.append(name, value);
                }
            }
        }
        Ok(head)
    }
}

/// Fold one `Content-Length` line (possibly a list, `5, 5`) into what was seen so far: all
/// values must be valid and agree (RFC 9112 §6.3).
fn merge_length(seen: Result<Option<u64>, &'static str>, line: &[u8]) -> Result<Option<u64>, &'static str> {
    let mut length = seen?;
    for part in line.split(|b| *b == b',') {
        let n = crate::wire::parse_length(part.trim_ascii()).ok_or("invalid Content-Length")?;
        if length.is_some_and(|l| l != n) {
            return Err("conflicting Content-Length values");
        }
        length = Some(n);
    }
    Ok(length)
}

/// Read response heads until a final one (1xx skipped). A `101` is final when the request
/// asked for an `upgrade` and names the protocol it switches to; otherwise it is refused.
/// Cancel-safe: bytes read stay in `buf`.
/// `wire`: the final head's fields as HTTP/1.1 lines ([`WireHead`]) instead of a map.
pub(crate) async fn read_final_head<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    upgrade: bool,
    wire: bool,
) -> Result<Head, Exchange> {
    let mut informational = false;
    loop {
        let head = read_head(io, buf, informational, wire).await?;
        if head.status == StatusCode::SWITCHING_PROTOCOLS {
            if upgrade && head.upgrade.is_some() {
                return Ok(head);
            }
            return Err(Exchange { error: UpError::Protocol("unrequested protocol upgrade"), responded: true });
        }
        if !head.status.is_informational() {
            return Ok(head);
        }
        informational = true;
    }
}

/// Read and parse one response head, removing it from the buffer. Header values share the
/// head's bytes (no copy per header). `responded`: a response (a 1xx) was already seen.
async fn read_head<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut BytesMut,
    responded: bool,
    wire: bool,
) -> Result<Head, Exchange> {
    let answered = |error| Exchange { error, responded: true };
    {
        loop {
            if !buf.is_empty() {
                // Byte ranges of each name and value within the head.
                let mut ranges = [(0u32, 0u32, 0u32, 0u32); MAX_HEADERS];
                let (n, code, version, count) = {
                    // Uninitialised slots: nothing to fill per response head.
                    let mut slots = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
                    let mut resp = httparse::Response::new(&mut []);
                    match httparse::ParserConfig::default()
                        .parse_response_with_uninit_headers(&mut resp, buf, &mut slots)
                    {
                        Ok(httparse::Status::Complete(n)) => {
                            let base = buf.as_ptr() as usize;
                            for (r, h) in ranges.iter_mut().zip(resp.headers.iter()) {
                                let (name, value) = (h.name.as_ptr() as usize - base, h.value.as_ptr() as usize - base);
                                *r = (name as u32, h.name.len() as u32, value as u32, h.value.len() as u32);
                            }
                            (n, resp.code, resp.version, resp.headers.len())
                        }
                        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => (0, None, None, 0),
                        Ok(httparse::Status::Partial) => {
                            return Err(answered(UpError::Protocol("response head too large")));
                        }
                        Err(_) => return Err(answered(UpError::Protocol("malformed response head"))),
                    }
                };
                if n > 0 {
                    let raw = buf.split_to(n).freeze();
                    let status = code
                        .and_then(|c| StatusCode::from_u16(c).ok())
                        .ok_or_else(|| answered(UpError::Protocol("bad status code")))?;
                    let fields = ranges[..count].iter().map(|&(ns, nl, vs, vl)| {
                        let (ns, nl, vs, vl) = (ns as usize, nl as usize, vs as usize, vl as usize);
                        (ns..ns + nl, vs..vs + vl)
                    });
                    return Head::build(status, version == Some(0), &raw, fields, wire).map_err(answered);
                }
            }
            if buf.capacity() == 0 {
                // A connection without a buffer (new, or idle until now): a finished
                // response's, when this thread has one (spare.rs).
                *buf = crate::upstream::spare::take();
            }
            buf.reserve(HEAD_CHUNK);
            let responded = responded || !buf.is_empty();
            match io.read_buf(buf).await {
                Ok(0) => {
                    return Err(Exchange {
                        error: UpError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "closed before a response")),
                        responded,
                    });
                }
                Ok(_) => {}
                Err(e) => return Err(Exchange { error: UpError::Io(e), responded }),
            }
        }
    }
}

/// How the response body ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Framing {
    /// This many bytes remain.
    Length(u64),
    Chunked(Chunked),
    /// Until the upstream closes the connection.
    UntilClose,
    Done,
}

/// How a response's body is delimited (RFC 9112 §6.3). Removes a Content-Length that
/// Transfer-Encoding overrides, so the client is never told a length the body does not
/// have; differing or malformed Content-Length values are an error.
pub(crate) fn framing_of(head: &mut Head, head_only: bool) -> Result<Framing, UpError> {
    if let Fields::Lines(w) = &mut head.fields {
        // The same decision for the lines, whose Content-Length the writer adds.
        w.content_length = if head.transfer_chunked.is_some() { None } else { head.content_length.ok().flatten() };
    }
    let status = head.status;
    if head_only || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok(Framing::Length(0));
    }
    if let Some(chunked) = head.transfer_chunked {
        // The last coding of the last Transfer-Encoding line decides; Content-Length is void.
        if head.content_length != Ok(None)
            && let Fields::Map(m) = &mut head.fields
        {
            m.remove(header::CONTENT_LENGTH);
        }
        return Ok(if chunked { Framing::Chunked(Chunked::Size) } else { Framing::UntilClose });
    }
    let length = head.content_length.map_err(UpError::Protocol)?;
    if let Some(n) = length
        && !head.length_clean
        && let Fields::Map(m) = &mut head.fields
    {
        // One clean value for the client (`5, 5` or ` 5` become `5`).
        m.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    Ok(length.map_or(Framing::UntilClose, Framing::Length))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A head and the client's response are moved several times per request on their way
    /// from the parser to the client's writer; above 128 bytes each move is a memcpy call
    /// (docs/BENCHMARKS.md, "Fewer copies").
    #[test]
    fn heads_and_responses_stay_small_to_move() {
        let head = std::mem::size_of::<Head>();
        assert!(head <= 64, "a response head is {head} bytes");
        let resp = std::mem::size_of::<http::Response<crate::body::response::RespBody>>();
        assert!(resp <= 128, "a response is {resp} bytes");
    }
}
