//! HTTP/1 wire details shared by the server side (`codec.rs` and `h1.rs`, client
//! connections) and the client side (`upstream/`, upstream connections): Content-Length and
//! chunk-size values, the Transfer-Encoding rule, the chunked-body decoder, chunk-size
//! lines, hop-by-hop field names, header lines, and splitting body frames.

use bytes::{Buf, Bytes, BytesMut};
use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use http_body::Frame;

/// Longest chunk-size line (with extensions).
const MAX_CHUNK_LINE: usize = 4 * 1024;
/// Largest trailer section, and most fields in it.
const MAX_TRAILERS: usize = 16 * 1024;
const MAX_TRAILER_FIELDS: usize = 64;

/// Where a chunked body's decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// Before a chunk-size line.
    Size,
    /// Inside a chunk's data, with this much left.
    Data(u64),
    /// After a chunk's data, before its CRLF.
    DataEnd,
    /// After the last chunk: the trailer section (maybe empty), then the final CRLF.
    Trailers,
    Done,
}

/// One step of [`decode_chunked`].
#[derive(Debug, PartialEq)]
pub(crate) enum Step {
    Data(Bytes),
    /// The trailer fields; the body has ended.
    Trailers(HeaderMap),
    /// The body has ended (without trailers, or after them).
    End,
    /// Nothing decodable in the buffer: read more.
    More,
}

/// Decode what `buf` holds of a chunked body in state `state` (RFC 9112 §7.1), consuming it.
/// Both sides of the proxy use this one decoder, with one policy: CRLF line ends, hex chunk
/// sizes (extensions ignored), at most [`MAX_CHUNK_LINE`] bytes per size line, and a
/// trailer section of at most [`MAX_TRAILERS`] bytes and [`MAX_TRAILER_FIELDS`] fields
/// that must parse whole. Bytes after the body stay in `buf`.
pub(crate) fn decode_chunked(state: &mut Chunked, buf: &mut BytesMut) -> Result<Step, &'static str> {
    loop {
        match *state {
            Chunked::Size => {
                let Some(end) = line_end(buf)? else {
                    return if buf.len() > MAX_CHUNK_LINE { Err("chunk size line too long") } else { Ok(Step::More) };
                };
                let size = parse_chunk_size(&buf[..end]).ok_or("bad chunk size")?;
                buf.advance(end + 2);
                *state = if size == 0 { Chunked::Trailers } else { Chunked::Data(size) };
            }
            Chunked::Data(left) => {
                if buf.is_empty() {
                    return Ok(Step::More);
                }
                let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                *state = if left == n as u64 { Chunked::DataEnd } else { Chunked::Data(left - n as u64) };
                return Ok(Step::Data(buf.split_to(n).freeze()));
            }
            Chunked::DataEnd => {
                if buf.len() < 2 {
                    return Ok(Step::More);
                }
                if &buf[..2] != b"\r\n" {
                    return Err("chunk data not followed by CRLF");
                }
                buf.advance(2);
                *state = Chunked::Size;
            }
            Chunked::Trailers => {
                if buf.starts_with(b"\r\n") {
                    buf.advance(2);
                    *state = Chunked::Done;
                    return Ok(Step::End);
                }
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    return if buf.len() > MAX_TRAILERS { Err("trailers too large") } else { Ok(Step::More) };
                };
                let trailers = parse_trailers(&buf[..end + 4])?;
                buf.advance(end + 4);
                *state = Chunked::Done;
                return Ok(Step::Trailers(trailers));
            }
            Chunked::Done => return Ok(Step::End),
        }
    }
}

/// Position of the CRLF that ends the first line (`None`: no line end yet); a bare LF is
/// an error.
fn line_end(b: &[u8]) -> Result<Option<usize>, &'static str> {
    match b.iter().position(|&c| c == b'\n') {
        None => Ok(None),
        Some(i) if i > 0 && b[i - 1] == b'\r' => Ok(Some(i - 1)),
        Some(_) => Err("bare LF in a chunk line"),
    }
}

/// A whole trailer section (fields and the final CRLF).
fn parse_trailers(raw: &[u8]) -> Result<HeaderMap, &'static str> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_TRAILER_FIELDS];
    let httparse::Status::Complete((_, fields)) =
        httparse::parse_headers(raw, &mut slots).map_err(|_| "bad trailers")?
    else {
        return Err("bad trailers");
    };
    let mut map = HeaderMap::with_capacity(fields.len());
    for f in fields {
        let name = HeaderName::from_bytes(f.name.as_bytes()).map_err(|_| "bad trailer name")?;
        let value = HeaderValue::from_bytes(f.value).map_err(|_| "bad trailer value")?;
        map.append(name, value);
    }
    Ok(map)
}

/// A Content-Length value: digits only (RFC 9110 §8.6), at most 19 of them.
pub(crate) fn parse_length(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |n, &b| if b.is_ascii_digit() { Some(n * 10 + u64::from(b - b'0')) } else { None })
}

/// Whether a comma-separated field value (`Connection`, `Upgrade`) lists `token`, in any case.
pub(crate) fn lists_token(value: &[u8], token: &[u8]) -> bool {
    value.split(|b| *b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// Whether a Transfer-Encoding value ends in `chunked`: only then is the body delimited
/// by chunks (RFC 9112 §6.3); the last coding of the value decides.
pub(crate) fn chunked_last(te: &[u8]) -> bool {
    te.rsplit(|b| *b == b',').next().is_some_and(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

/// The size of a chunk-size line (`1a;ext=1` → 26): hex digits only, extensions ignored.
pub(crate) fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line.split(|b| *b == b';').next()?.trim_ascii();
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| Some(n * 16 + u64::from((b as char).to_digit(16)? as u8)))
}

/// `{len:x}\r\n`, the line before a chunk of `n` bytes, without formatting machinery.
pub(crate) fn chunk_line(mut n: usize, out: &mut [u8; 18]) -> &[u8] {
    let mut i = 16;
    loop {
        i -= 1;
        out[i] = b"0123456789abcdef"[n & 15];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out[16] = b'\r';
    out[17] = b'\n';
    &out[i..]
}

/// Hop-by-hop fields (RFC 9110 §7.6.1, plus the old Keep-Alive and Proxy-Connection and the
/// proxy authentication fields), never forwarded; `name` in any case.
pub(crate) fn is_hop_by_hop_name(name: &[u8]) -> bool {
    // By length first: most names are rejected without comparing a byte.
    let is = |want: &[u8]| name.eq_ignore_ascii_case(want);
    match name.len() {
        2 => is(b"te"),
        7 => is(b"upgrade") || is(b"trailer"),
        10 => is(b"connection") || is(b"keep-alive"),
        16 => is(b"proxy-connection"),
        17 => is(b"transfer-encoding"),
        18 => is(b"proxy-authenticate"),
        19 => is(b"proxy-authorization"),
        _ => false,
    }
}

/// The tokens of one `Connection` line that name further fields to remove: `close` and the
/// hop-by-hop names (removed anyway) are left out.
pub(crate) fn connection_listed(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|b| *b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(b"close") && !is_hop_by_hop_name(t))
}

/// Append one `name: value\r\n` header line.
pub(crate) fn put_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// The data of a body frame, unless it is empty; a trailers frame is kept in `trailers`.
pub(crate) fn frame_data(frame: Frame<Bytes>, trailers: &mut Option<HeaderMap>) -> Option<Bytes> {
    match frame.into_data() {
        Ok(data) => (!data.is_empty()).then_some(data),
        Err(frame) => {
            *trailers = frame.into_trailers().ok();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_chunk_sizes_and_lines() {
        assert_eq!(parse_length(b"0"), Some(0));
        assert_eq!(parse_length(b"12"), Some(12));
        assert_eq!(parse_length(b"1 2"), None);
        assert_eq!(parse_length(b"+5"), None);
        assert_eq!(parse_length(b"12345678901234567890"), None, "over 19 digits");
        assert_eq!(parse_chunk_size(b"1A"), Some(26));
        assert_eq!(parse_chunk_size(b"1a"), Some(26));
        assert_eq!(parse_chunk_size(b"0"), Some(0));
        assert_eq!(parse_chunk_size(b"FF;name=value"), Some(255));
        assert_eq!(parse_chunk_size(b"ff ; name=v"), Some(255));
        assert_eq!(parse_chunk_size(b""), None);
        assert_eq!(parse_chunk_size(b"xyz"), None);
        assert_eq!(parse_chunk_size(b"-1"), None);
        assert_eq!(parse_chunk_size(b"+1"), None);
        assert_eq!(parse_chunk_size(b"ffffffffffffffffff"), None);
        assert_eq!(parse_chunk_size(b"1234567890abcdef0"), None, "overflow");
        let mut buf = [0u8; 18];
        assert_eq!(chunk_line(0, &mut buf), b"0\r\n");
        assert_eq!(chunk_line(0x1a2b, &mut buf), b"1a2b\r\n");
        assert_eq!(chunk_line(usize::MAX, &mut buf), b"ffffffffffffffff\r\n");
        assert!(chunked_last(b"gzip, chunked") && chunked_last(b"Chunked"));
        assert!(!chunked_last(b"chunked, gzip") && !chunked_last(b"gzip"));
        assert!(lists_token(b"keep-alive, Upgrade", b"upgrade") && lists_token(b" close ", b"close"));
        assert!(!lists_token(b"keep-alive, upgrade-ish", b"upgrade") && !lists_token(b"", b"close"));
    }

    /// The data, the trailers, and the bytes left after the body.
    type Decoded = (Vec<u8>, Option<HeaderMap>, Vec<u8>);

    /// Decode `wire` fed in pieces of `step` bytes.
    fn decode(wire: &[u8], step: usize) -> Result<Decoded, &'static str> {
        let (mut state, mut buf, mut data, mut trailers) = (Chunked::Size, BytesMut::new(), Vec::new(), None);
        let mut pieces = wire.chunks(step);
        loop {
            match decode_chunked(&mut state, &mut buf)? {
                Step::Data(d) => data.extend_from_slice(&d),
                Step::Trailers(t) => trailers = Some(t),
                Step::End => return Ok((data, trailers, buf.to_vec())),
                Step::More => buf.extend_from_slice(pieces.next().ok_or("cut short")?),
            }
        }
    }

    #[test]
    fn chunked_bodies_decode_across_any_split() {
        let wire = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-sum: 12\r\nx-two: a\r\n\r\nNEXT";
        for step in 1..=wire.len() {
            let (data, trailers, rest) = decode(wire, step).unwrap();
            assert_eq!(data, b"hello, world", "step {step}");
            let t = trailers.expect("trailers");
            assert_eq!((&t["x-sum"], &t["x-two"]), (&HeaderValue::from_static("12"), &HeaderValue::from_static("a")));
            assert!(b"NEXT".starts_with(&rest), "only bytes after the body are left: {rest:?}");
        }
        let (data, trailers, rest) = decode(b"3\r\nabc\r\n0\r\n\r\nGET", 64).unwrap();
        assert_eq!((data.as_slice(), trailers, rest.as_slice()), (&b"abc"[..], None, &b"GET"[..]));
    }

    #[test]
    fn malformed_or_oversized_chunked_bodies_are_refused() {
        assert_eq!(decode(b"zz\r\n", 64), Err("bad chunk size"));
        assert_eq!(decode(b"3\nabc", 64), Err("bare LF in a chunk line"));
        assert_eq!(decode(b"3\r\nabcX\r\n", 64), Err("chunk data not followed by CRLF"));
        assert_eq!(decode(&[b'1'; MAX_CHUNK_LINE + 1], 8192), Err("chunk size line too long"));
        assert_eq!(decode(b"0\r\nno colon\r\n\r\n", 64), Err("bad trailers"));
        let many: String = (0..=MAX_TRAILER_FIELDS).map(|i| format!("x-{i}: v\r\n")).collect();
        assert_eq!(decode(format!("0\r\n{many}\r\n").as_bytes(), 64), Err("bad trailers"), "too many fields");
        let big = format!("0\r\nx-big: {}\r\n", "v".repeat(MAX_TRAILERS));
        assert_eq!(decode(big.as_bytes(), 64 * 1024), Err("trailers too large"));
    }

    #[test]
    fn frames_split_into_data_and_trailers() {
        let mut t = None;
        assert_eq!(frame_data(Frame::data(Bytes::from_static(b"ab")), &mut t), Some(Bytes::from_static(b"ab")));
        assert_eq!(frame_data(Frame::data(Bytes::new()), &mut t), None);
        assert!(t.is_none());
        let mut map = HeaderMap::new();
        map.insert("x-sum", http::HeaderValue::from_static("1"));
        assert_eq!(frame_data(Frame::trailers(map), &mut t), None);
        assert_eq!(t.unwrap()["x-sum"], "1");
    }
}
