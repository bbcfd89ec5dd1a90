//! Trace-context propagation: W3C `traceparent`/`tracestate` and B3 (single `b3` header
//! and multi `X-B3-*` headers), extracted from and injected into request headers.
//!
//! What it does: parses and formats those headers over a generic header lookup (a closure
//! `Fn(&str) -> Option<&str>` called with lower-case names) and a generic setter
//! (`FnMut(&'static str, &str)`), so it does not depend on the `http` crate. Formatting
//! writes into a stack buffer ([`HeaderBuf`]) so injecting allocates nothing.
//!
//! What it does not know: sampling policy (the caller feeds [`Extracted::sampled`] to the
//! [`crate::sampler`]) nor span creation.
//!
//! (Over 600 lines only with its unit tests, about a third of the file: the header formats'
//! edge cases are tested beside the parsers.)

use std::fmt;

use crate::span::{SpanId, TraceId};

/// Header names, lower-case (as `http::HeaderMap` stores them).
pub const TRACEPARENT: &str = "traceparent";
pub const TRACESTATE: &str = "tracestate";
pub const B3: &str = "b3";
pub const X_B3_TRACE_ID: &str = "x-b3-traceid";
pub const X_B3_SPAN_ID: &str = "x-b3-spanid";
pub const X_B3_PARENT_SPAN_ID: &str = "x-b3-parentspanid";
pub const X_B3_SAMPLED: &str = "x-b3-sampled";
pub const X_B3_FLAGS: &str = "x-b3-flags";

/// The context of a remote (or local) span, as carried by headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanContext {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    /// B3's `ParentSpanId` (extracted from, and injected into, B3 headers only).
    pub parent_span_id: Option<SpanId>,
    /// The sampling decision; `None` when the sender deferred it (B3 without a sampling state).
    pub sampled: Option<bool>,
    /// B3 debug flag (`d` / `X-B3-Flags: 1`); implies sampled.
    pub debug: bool,
    /// W3C `tracestate`, passed through verbatim (validated, whitespace-trimmed).
    pub trace_state: Option<String>,
}

impl SpanContext {
    /// A sampled/unsampled context for a span of ours.
    pub fn new(trace_id: TraceId, span_id: SpanId, sampled: bool) -> Self {
        Self { trace_id, span_id, parent_span_id: None, sampled: Some(sampled), debug: false, trace_state: None }
    }

    pub fn is_sampled(&self) -> bool {
        self.debug || self.sampled == Some(true)
    }

    /// The same trace continued by child span `span_id` (keeps sampled/debug/tracestate and
    /// records the current span as B3 parent).
    pub fn child(&self, span_id: SpanId) -> Self {
        Self {
            trace_id: self.trace_id,
            span_id,
            parent_span_id: Some(self.span_id),
            sampled: self.sampled,
            debug: self.debug,
            trace_state: self.trace_state.clone(),
        }
    }
}

/// Which header format a context came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    W3c,
    B3Single,
    B3Multi,
}

/// Which formats to write when injecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub w3c: bool,
    pub b3_single: bool,
    pub b3_multi: bool,
}

impl Formats {
    pub const ALL: Self = Self { w3c: true, b3_single: true, b3_multi: true };
    pub const W3C: Self = Self { w3c: true, b3_single: false, b3_multi: false };
    pub const B3_SINGLE: Self = Self { w3c: false, b3_single: true, b3_multi: false };
    pub const B3_MULTI: Self = Self { w3c: false, b3_single: false, b3_multi: true };

    /// Only the format a request came in with.
    pub fn only(f: Format) -> Self {
        match f {
            Format::W3c => Self::W3C,
            Format::B3Single => Self::B3_SINGLE,
            Format::B3Multi => Self::B3_MULTI,
        }
    }
}

/// Whether a (lower-case) header name is one [`extract`] reads. A request whose names all
/// fail this test carries no context, so a caller can skip `extract` and its lookups.
pub fn is_context_header(name: &str) -> bool {
    name == TRACEPARENT || name == B3 || name.starts_with("x-b3-")
}

/// What a request's headers said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extracted {
    /// The parent context, when the headers carried valid ids.
    pub context: Option<SpanContext>,
    /// The parent's sampling decision: from the context, or from a bare B3 `0`/`1`/`d`.
    pub sampled: Option<bool>,
    /// The format the context was found in.
    pub format: Option<Format>,
}

/// Reads the trace context from headers. W3C first, then B3 single, then B3 multi.
/// `get` is called with lower-case header names.
pub fn extract<'a, F>(get: F) -> Extracted
where
    F: Fn(&str) -> Option<&'a str>,
{
    if let Some(mut ctx) = get(TRACEPARENT).and_then(parse_traceparent) {
        ctx.trace_state = get(TRACESTATE).and_then(parse_tracestate);
        let sampled = ctx.sampled;
        return Extracted { context: Some(ctx), sampled, format: Some(Format::W3c) };
    }
    if let Some(v) = get(B3) {
        match parse_b3_single(v) {
            Some(B3Single::Context(ctx)) => {
                let sampled = if ctx.debug { Some(true) } else { ctx.sampled };
                return Extracted { context: Some(ctx), sampled, format: Some(Format::B3Single) };
            }
            Some(B3Single::SamplingOnly(s)) => {
                return Extracted { context: None, sampled: Some(s), format: Some(Format::B3Single) };
            }
            None => {}
        }
    }
    if let Some(ctx) = parse_b3_multi(&get) {
        let sampled = if ctx.debug { Some(true) } else { ctx.sampled };
        return Extracted { context: Some(ctx), sampled, format: Some(Format::B3Multi) };
    }
    // B3 multi with only a sampling decision.
    let flags_debug = get(X_B3_FLAGS).map(str::trim) == Some("1");
    let sampled = if flags_debug { Some(true) } else { get(X_B3_SAMPLED).and_then(parse_b3_sampled) };
    Extracted { context: None, sampled, format: sampled.map(|_| Format::B3Multi) }
}

/// Writes `ctx` in the requested formats through `set(name, value)` (lower-case names).
pub fn inject<F>(ctx: &SpanContext, formats: Formats, mut set: F)
where
    F: FnMut(&'static str, &str),
{
    if formats.w3c {
        set(TRACEPARENT, &format_traceparent(ctx));
        if let Some(ts) = &ctx.trace_state {
            set(TRACESTATE, ts);
        }
    }
    if formats.b3_single {
        set(B3, &format_b3_single(ctx));
    }
    if formats.b3_multi {
        let mut buf = HeaderBuf::new();
        buf.hex(&ctx.trace_id);
        set(X_B3_TRACE_ID, &buf);
        buf.clear();
        buf.hex(&ctx.span_id);
        set(X_B3_SPAN_ID, &buf);
        if let Some(p) = &ctx.parent_span_id {
            buf.clear();
            buf.hex(p);
            set(X_B3_PARENT_SPAN_ID, &buf);
        }
        if ctx.debug {
            set(X_B3_FLAGS, "1");
        } else if let Some(s) = ctx.sampled {
            set(X_B3_SAMPLED, if s { "1" } else { "0" });
        }
    }
}

/// A fixed-capacity ASCII buffer for formatted header values (no heap allocation).
#[derive(Clone, Copy)]
pub struct HeaderBuf {
    buf: [u8; 72],
    len: usize,
}

impl HeaderBuf {
    fn new() -> Self {
        Self { buf: [0; 72], len: 0 }
    }
    fn clear(&mut self) {
        self.len = 0;
    }
    fn push(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }
    fn hex(&mut self, bytes: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for b in bytes {
            self.push(HEX[(b >> 4) as usize]);
            self.push(HEX[(b & 0xf) as usize]);
        }
    }
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits and '-' are ever pushed.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl std::ops::Deref for HeaderBuf {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for HeaderBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for HeaderBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes exactly `N` bytes from `2N` hex digits.
fn decode_hex<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (hex_val(s[2 * i])? << 4) | hex_val(s[2 * i + 1])?;
    }
    Some(out)
}

fn is_lower_hex(s: &[u8]) -> bool {
    s.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Parses a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex flags>`). Future versions are
/// accepted when their first four fields are well-formed; version `ff`, all-zero ids and
/// upper-case hex are rejected, as the spec requires.
pub fn parse_traceparent(value: &str) -> Option<SpanContext> {
    let v = value.trim().as_bytes();
    if v.len() < 55 || v[2] != b'-' || v[35] != b'-' || v[52] != b'-' {
        return None;
    }
    let (version, trace, span, flags) = (&v[0..2], &v[3..35], &v[36..52], &v[53..55]);
    if !is_lower_hex(version) || !is_lower_hex(trace) || !is_lower_hex(span) || !is_lower_hex(flags) {
        return None;
    }
    if version == b"ff" {
        return None;
    }
    if version == b"00" && v.len() != 55 {
        return None;
    }
    if version != b"00" && v.len() > 55 && v[55] != b'-' {
        return None;
    }
    let trace_id = decode_hex::<16>(trace)?;
    let span_id = decode_hex::<8>(span)?;
    if trace_id == [0; 16] || span_id == [0; 8] {
        return None;
    }
    let flags = decode_hex::<1>(flags)?[0];
    Some(SpanContext {
        trace_id,
        span_id,
        parent_span_id: None,
        sampled: Some(flags & 1 == 1),
        debug: false,
        trace_state: None,
    })
}

/// Formats `00-<trace>-<span>-<flags>`; flags is `01` when sampled (or debug), else `00`.
pub fn format_traceparent(ctx: &SpanContext) -> HeaderBuf {
    let mut b = HeaderBuf::new();
    b.push(b'0');
    b.push(b'0');
    b.push(b'-');
    b.hex(&ctx.trace_id);
    b.push(b'-');
    b.hex(&ctx.span_id);
    b.push(b'-');
    b.push(b'0');
    b.push(if ctx.is_sampled() { b'1' } else { b'0' });
    b
}

/// Validates a W3C `tracestate` (comma-separated `key=value` list, at most 32 members;
/// empty members are ignored) and returns it trimmed. `None` when invalid or empty.
pub fn parse_tracestate(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut n = 0;
    for member in value.split(',') {
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue;
        }
        let (k, v) = member.split_once('=')?;
        if !valid_tracestate_key(k) || !valid_tracestate_value(v) {
            return None;
        }
        n += 1;
        if n > 32 {
            return None;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(member);
    }
    if out.is_empty() { None } else { Some(out) }
}

fn valid_tracestate_key(k: &str) -> bool {
    let b = k.as_bytes();
    if b.is_empty() || b.len() > 256 {
        return false;
    }
    let ok = |c: u8| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/');
    match k.split_once('@') {
        None => matches!(b[0], b'a'..=b'z' | b'0'..=b'9') && b.iter().all(|&c| ok(c)),
        Some((tenant, system)) => {
            !tenant.is_empty()
                && tenant.len() <= 241
                && !system.is_empty()
                && system.len() <= 14
                && tenant.bytes().all(ok)
                && system.as_bytes()[0].is_ascii_lowercase()
                && system.bytes().all(ok)
        }
    }
}

fn valid_tracestate_value(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 256
        && b.iter().all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && b[b.len() - 1] != b' '
}

/// Result of parsing a single `b3` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum B3Single {
    Context(SpanContext),
    /// `b3: 0`, `b3: 1` or `b3: d` (sampling decision without ids).
    SamplingOnly(bool),
}

/// A B3 trace id: 16 or 32 hex digits (64-bit ids are left-padded with zeros).
fn parse_b3_trace_id(s: &str) -> Option<TraceId> {
    let b = s.trim().as_bytes();
    let id = match b.len() {
        32 => decode_hex::<16>(b)?,
        16 => {
            let low = decode_hex::<8>(b)?;
            let mut id = [0u8; 16];
            id[8..].copy_from_slice(&low);
            id
        }
        _ => return None,
    };
    (id != [0; 16]).then_some(id)
}

fn parse_b3_span_id(s: &str) -> Option<SpanId> {
    let id = decode_hex::<8>(s.trim().as_bytes())?;
    (id != [0; 8]).then_some(id)
}

fn parse_b3_sampled(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "true" | "d" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

/// Parses `b3: {traceid}-{spanid}[-{sampling}[-{parentspanid}]]` or a bare `0`/`1`/`d`.
pub fn parse_b3_single(value: &str) -> Option<B3Single> {
    let v = value.trim();
    match v {
        "0" => return Some(B3Single::SamplingOnly(false)),
        "1" | "d" => return Some(B3Single::SamplingOnly(true)),
        _ => {}
    }
    let mut parts = v.split('-');
    let trace_id = parse_b3_trace_id(parts.next()?)?;
    let span_id = parse_b3_span_id(parts.next()?)?;
    let (mut sampled, mut debug, mut parent_span_id) = (None, false, None);
    if let Some(s) = parts.next() {
        match s {
            "0" => sampled = Some(false),
            "1" => sampled = Some(true),
            "d" => {
                sampled = Some(true);
                debug = true;
            }
            _ => return None,
        }
        if let Some(p) = parts.next() {
            parent_span_id = Some(parse_b3_span_id(p)?);
        }
    }
    if parts.next().is_some() {
        return None;
    }
    Some(B3Single::Context(SpanContext { trace_id, span_id, parent_span_id, sampled, debug, trace_state: None }))
}

/// Formats `{trace}-{span}[-{1|0|d}[-{parent}]]`. B3 places the parent after the sampling
/// state, so with a deferred decision the parent is omitted.
pub fn format_b3_single(ctx: &SpanContext) -> HeaderBuf {
    let mut b = HeaderBuf::new();
    b.hex(&ctx.trace_id);
    b.push(b'-');
    b.hex(&ctx.span_id);
    let state = if ctx.debug { Some(b'd') } else { ctx.sampled.map(|s| if s { b'1' } else { b'0' }) };
    if let Some(s) = state {
        b.push(b'-');
        b.push(s);
        if let Some(p) = &ctx.parent_span_id {
            b.push(b'-');
            b.hex(p);
        }
    }
    b
}

/// Parses `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-ParentSpanId`, `X-B3-Sampled`, `X-B3-Flags`.
pub fn parse_b3_multi<'a, F>(get: &F) -> Option<SpanContext>
where
    F: Fn(&str) -> Option<&'a str>,
{
    let trace_id = parse_b3_trace_id(get(X_B3_TRACE_ID)?)?;
    let span_id = parse_b3_span_id(get(X_B3_SPAN_ID)?)?;
    let parent_span_id = get(X_B3_PARENT_SPAN_ID).and_then(parse_b3_span_id);
    let debug = get(X_B3_FLAGS).map(str::trim) == Some("1");
    let sampled = if debug { Some(true) } else { get(X_B3_SAMPLED).and_then(parse_b3_sampled) };
    Some(SpanContext { trace_id, span_id, parent_span_id, sampled, debug, trace_state: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect()
    }

    fn extract_from(h: &HashMap<String, String>) -> Extracted {
        extract(|n| h.get(n).map(String::as_str))
    }

    fn inject_into(ctx: &SpanContext, f: Formats) -> HashMap<String, String> {
        let mut h = HashMap::new();
        inject(ctx, f, |k, v| {
            h.insert(k.to_string(), v.to_string());
        });
        h
    }

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn every_header_extract_reads_first_is_a_context_header() {
        // With no headers, extract asks for each name it could start from; a request none of
        // whose names passes is_context_header must be one extract gets nothing from.
        let asked = std::cell::RefCell::new(Vec::new());
        let ex = extract(|name| {
            asked.borrow_mut().push(name.to_string());
            None
        });
        assert_eq!(ex, Extracted::default());
        let asked = asked.into_inner();
        assert!(asked.len() >= 5, "{asked:?}");
        for name in &asked {
            assert!(is_context_header(name), "{name} is read by extract but not a context header");
        }
        assert!(!is_context_header("user-agent") && !is_context_header("tracestate"));
    }

    #[test]
    fn w3c_parse_and_format() {
        let c = parse_traceparent(TP).unwrap();
        assert_eq!(hex::encode(c.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(hex::encode(c.span_id), "00f067aa0ba902b7");
        assert_eq!(c.sampled, Some(true));
        assert_eq!(&*format_traceparent(&c), TP);
        let c0 = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
        assert_eq!(c0.sampled, Some(false));
        // Other flag bits are ignored for sampling.
        assert_eq!(
            parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03").unwrap().sampled,
            Some(true)
        );
        // Future version with extra field.
        assert!(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra").is_some());
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn tracestate_validated_and_passed_through() {
        assert_eq!(
            parse_tracestate("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE").as_deref(),
            Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        );
        assert_eq!(parse_tracestate("tenant@vendor=x").as_deref(), Some("tenant@vendor=x"));
        assert_eq!(parse_tracestate(" , a=1,,").as_deref(), Some("a=1"));
        assert!(parse_tracestate("Upper=1").is_none());
        assert!(parse_tracestate("a=b=c").is_none());
        assert!(parse_tracestate("novalue").is_none());
        let many = (0..33).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(",");
        assert!(parse_tracestate(&many).is_none());

        let h = headers(&[("traceparent", TP), ("tracestate", "rojo=1,congo=2")]);
        let e = extract_from(&h);
        assert_eq!(e.format, Some(Format::W3c));
        let ctx = e.context.unwrap();
        assert_eq!(ctx.trace_state.as_deref(), Some("rojo=1,congo=2"));
        let out = inject_into(&ctx, Formats::W3C);
        assert_eq!(out["traceparent"], TP);
        assert_eq!(out["tracestate"], "rojo=1,congo=2");
    }

    #[test]
    fn w3c_round_trip_through_child() {
        let h = headers(&[("traceparent", TP)]);
        let parent = extract_from(&h).context.unwrap();
        let child = parent.child([1, 2, 3, 4, 5, 6, 7, 8]);
        let out = inject_into(&child, Formats::W3C);
        assert_eq!(out["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-0102030405060708-01");
        let again = extract_from(&out).context.unwrap();
        assert_eq!(again.trace_id, parent.trace_id);
        assert_eq!(again.span_id, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(again.sampled, Some(true));
        assert!(!out.contains_key("b3"));
    }

    #[test]
    fn b3_single_parse_format_round_trip() {
        let v = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90";
        let Some(B3Single::Context(c)) = parse_b3_single(v) else { panic!() };
        assert_eq!(hex::encode(c.trace_id), "80f198ee56343ba864fe8b2a57d3eff7");
        assert_eq!(hex::encode(c.span_id), "e457b5a2e4d86bd1");
        assert_eq!(c.parent_span_id.map(hex::encode).as_deref(), Some("05e3ac9a4f6e3b90"));
        assert_eq!(c.sampled, Some(true));
        assert_eq!(&*format_b3_single(&c), v);

        // 64-bit trace id, no sampling state.
        let Some(B3Single::Context(c)) = parse_b3_single("64fe8b2a57d3eff7-e457b5a2e4d86bd1") else { panic!() };
        assert_eq!(hex::encode(c.trace_id), "000000000000000064fe8b2a57d3eff7");
        assert_eq!(c.sampled, None);
        assert_eq!(&*format_b3_single(&c), "000000000000000064fe8b2a57d3eff7-e457b5a2e4d86bd1");

        // Debug.
        let Some(B3Single::Context(c)) = parse_b3_single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d") else {
            panic!()
        };
        assert!(c.debug && c.is_sampled());
        assert!(format_b3_single(&c).ends_with("-d"));

        assert_eq!(parse_b3_single("0"), Some(B3Single::SamplingOnly(false)));
        assert_eq!(parse_b3_single("d"), Some(B3Single::SamplingOnly(true)));
        for bad in [
            "",
            "x",
            "80f198ee56343ba864fe8b2a57d3eff7",
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-2",
            "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90-x",
            "123-e457b5a2e4d86bd1",
        ] {
            assert!(parse_b3_single(bad).is_none(), "{bad}");
        }

        let h = headers(&[("b3", v)]);
        let e = extract_from(&h);
        assert_eq!(e.format, Some(Format::B3Single));
        assert_eq!(e.sampled, Some(true));
        let child = e.context.unwrap().child([9; 8]);
        let out = inject_into(&child, Formats::B3_SINGLE);
        assert_eq!(out["b3"], "80f198ee56343ba864fe8b2a57d3eff7-0909090909090909-1-e457b5a2e4d86bd1");
        assert_eq!(out.len(), 1);

        let e = extract_from(&headers(&[("b3", "0")]));
        assert_eq!((e.context, e.sampled), (None, Some(false)));
    }

    #[test]
    fn b3_multi_parse_inject_round_trip() {
        let h = headers(&[
            ("X-B3-TraceId", "463ac35c9f6413ad48485a3953bb6124"),
            ("X-B3-SpanId", "a2fb4a1d1a96d312"),
            ("X-B3-ParentSpanId", "0020000000000001"),
            ("X-B3-Sampled", "1"),
        ]);
        let e = extract_from(&h);
        assert_eq!(e.format, Some(Format::B3Multi));
        let c = e.context.unwrap();
        assert_eq!(hex::encode(c.trace_id), "463ac35c9f6413ad48485a3953bb6124");
        assert_eq!(c.parent_span_id.map(hex::encode).as_deref(), Some("0020000000000001"));
        assert_eq!(c.sampled, Some(true));
        let out = inject_into(&c, Formats::B3_MULTI);
        assert_eq!(out, h);
        assert_eq!(extract_from(&out).context.unwrap(), c);

        let d =
            headers(&[("x-b3-traceid", "48485a3953bb6124"), ("x-b3-spanid", "a2fb4a1d1a96d312"), ("x-b3-flags", "1")]);
        let c = extract_from(&d).context.unwrap();
        assert!(c.debug);
        let out = inject_into(&c, Formats::B3_MULTI);
        assert_eq!(out["x-b3-flags"], "1");
        assert!(!out.contains_key("x-b3-sampled"));
        assert_eq!(out["x-b3-traceid"], "000000000000000048485a3953bb6124");

        let e = extract_from(&headers(&[("x-b3-sampled", "0")]));
        assert_eq!((e.context, e.sampled), (None, Some(false)));
        let e = extract_from(&headers(&[("x-b3-traceid", "zz"), ("x-b3-spanid", "a2fb4a1d1a96d312")]));
        assert_eq!(e, Extracted::default());
    }

    #[test]
    fn precedence_and_all_formats() {
        let h = headers(&[("traceparent", TP), ("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0")]);
        assert_eq!(extract_from(&h).format, Some(Format::W3c));
        // Invalid traceparent falls back to B3.
        let h = headers(&[("traceparent", "garbage"), ("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0")]);
        let e = extract_from(&h);
        assert_eq!((e.format, e.sampled), (Some(Format::B3Single), Some(false)));

        let ctx = SpanContext::new([7; 16], [8; 8], false);
        let out = inject_into(&ctx, Formats::ALL);
        assert_eq!(out["traceparent"], format!("00-{}-{}-00", "07".repeat(16), "08".repeat(8)));
        assert_eq!(out["b3"], format!("{}-{}-0", "07".repeat(16), "08".repeat(8)));
        assert_eq!(out["x-b3-sampled"], "0");
        for f in [Format::W3c, Format::B3Single, Format::B3Multi] {
            let out = inject_into(&ctx, Formats::only(f));
            let e = extract_from(&out);
            assert_eq!(e.format, Some(f));
            let c = e.context.unwrap();
            assert_eq!((c.trace_id, c.span_id, c.sampled), (ctx.trace_id, ctx.span_id, Some(false)));
        }
        assert_eq!(extract_from(&HashMap::new()), Extracted::default());
    }
}
