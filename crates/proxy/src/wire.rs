//! HTTP/1 wire details shared by the server side (`h1.rs`, client connections) and the
//! client side (`upstream.rs`, upstream connections): Content-Length and chunk-size
//! values, the Transfer-Encoding rule, chunk-size lines, and splitting body frames.

use bytes::Bytes;
use http::HeaderMap;
use http_body::Frame;

/// A Content-Length value: digits only (RFC 9110 §8.6), at most 19 of them.
pub(crate) fn parse_length(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |n, &b| if b.is_ascii_digit() { Some(n * 10 + u64::from(b - b'0')) } else { None })
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
