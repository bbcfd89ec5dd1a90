//! Our span record and the helpers that shape what goes into it.
//!
//! What it does: defines [`SpanData`] (ids, parent, name, kind, times, status, ordered
//! attributes, optional events, and a shared [`Resource`] holding the service name and
//! resource attributes), id generation, attribute truncation on a char boundary, and
//! header capture with redaction of credentials.
//!
//! What it does not know: any wire format (see [`crate::encode`]), how spans are sampled
//! (see [`crate::sampler`]) or exported (see [`crate::exporter`]), nor the `http` crate:
//! headers are passed as plain `(&str, &str)` pairs.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use marchproxy_model::tracing_config::TracingConfigSpec;
use rand::RngCore;

/// A 16-byte W3C trace id.
pub type TraceId = [u8; 16];
/// An 8-byte span id.
pub type SpanId = [u8; 8];

/// What a header value is replaced with when the header carries credentials.
pub const REDACTED: &str = "[REDACTED]";

/// The role of a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SpanKind {
    /// The proxy receiving a request.
    Server,
    /// The proxy calling an upstream (one span per attempt).
    Client,
    /// Anything else.
    #[default]
    Internal,
}

impl SpanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Client => "client",
            Self::Internal => "internal",
        }
    }
}

/// The final status of a span.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SpanStatus {
    /// Not set (OpenTelemetry's default; treated as success).
    #[default]
    Unset,
    Ok,
    /// Failed, with a description.
    Error(String),
}

impl SpanStatus {
    pub fn is_error(&self) -> bool {
        matches!(self, Self::Error(_))
    }
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    String(Cow<'static, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl AttrValue {
    /// The value rendered as text (how Zipkin tags carry every value).
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Self::String(s) => Cow::Borrowed(s.as_ref()),
            Self::Int(i) => Cow::Owned(i.to_string()),
            Self::Float(f) => Cow::Owned(f.to_string()),
            Self::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&'static str> for AttrValue {
    fn from(v: &'static str) -> Self {
        Self::String(Cow::Borrowed(v))
    }
}
impl From<String> for AttrValue {
    fn from(v: String) -> Self {
        Self::String(Cow::Owned(v))
    }
}
impl From<Cow<'static, str>> for AttrValue {
    fn from(v: Cow<'static, str>) -> Self {
        Self::String(v)
    }
}
impl From<i64> for AttrValue {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<u16> for AttrValue {
    fn from(v: u16) -> Self {
        Self::Int(v.into())
    }
}
impl From<u32> for AttrValue {
    fn from(v: u32) -> Self {
        Self::Int(v.into())
    }
}
impl From<f64> for AttrValue {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}
impl From<bool> for AttrValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

/// Ordered attributes (insertion order is kept; keys are unique when set with [`set_attr`]).
pub type Attributes = Vec<(Cow<'static, str>, AttrValue)>;

/// Sets `key` to `value`, replacing an existing entry with the same key in place.
pub fn set_attr(attrs: &mut Attributes, key: impl Into<Cow<'static, str>>, value: impl Into<AttrValue>) {
    let key = key.into();
    let value = value.into();
    if let Some(slot) = attrs.iter_mut().find(|(k, _)| *k == key) {
        slot.1 = value;
    } else {
        attrs.push((key, value));
    }
}

/// A time-stamped annotation inside a span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    pub name: Cow<'static, str>,
    pub time_unix_nano: u64,
    pub attributes: Attributes,
}

/// Who produced the spans: the service name plus resource attributes (e.g. custom tags).
/// Shared by every span of one pipeline through an [`Arc`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    pub service_name: String,
    pub attributes: Attributes,
}

impl Resource {
    pub fn new(service_name: impl Into<String>) -> Self {
        Self { service_name: service_name.into(), attributes: Vec::new() }
    }

    /// `service_name` and `custom_tags` of a tracing configuration.
    pub fn from_spec(spec: &TracingConfigSpec) -> Self {
        let mut r = Self::new(spec.service_name.clone());
        if let Some(tags) = &spec.custom_tags {
            for (k, v) in tags {
                r.attributes.push((Cow::Owned(k.clone()), AttrValue::String(Cow::Owned(v.clone()))));
            }
        }
        r
    }
}

/// One finished (or in-progress) span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanData {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub name: Cow<'static, str>,
    pub kind: SpanKind,
    pub start_unix_nanos: u64,
    pub end_unix_nanos: u64,
    pub status: SpanStatus,
    pub attributes: Attributes,
    pub events: Vec<SpanEvent>,
    pub resource: Arc<Resource>,
}

impl SpanData {
    /// A new span starting now, with a fresh span id.
    pub fn start(
        trace_id: TraceId,
        parent_span_id: Option<SpanId>,
        name: impl Into<Cow<'static, str>>,
        kind: SpanKind,
        resource: Arc<Resource>,
    ) -> Self {
        let now = now_unix_nanos();
        Self {
            trace_id,
            span_id: new_span_id(),
            parent_span_id,
            name: name.into(),
            kind,
            start_unix_nanos: now,
            end_unix_nanos: now,
            status: SpanStatus::Unset,
            attributes: Vec::new(),
            events: Vec::new(),
            resource,
        }
    }

    /// Sets the end time to now.
    pub fn end(&mut self) {
        self.end_unix_nanos = now_unix_nanos().max(self.start_unix_nanos);
    }

    pub fn set_attr(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<AttrValue>) {
        set_attr(&mut self.attributes, key, value);
    }

    pub fn attr(&self, key: &str) -> Option<&AttrValue> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn add_event(&mut self, name: impl Into<Cow<'static, str>>, attributes: Attributes) {
        self.events.push(SpanEvent { name: name.into(), time_unix_nano: now_unix_nanos(), attributes });
    }

    pub fn duration_nanos(&self) -> u64 {
        self.end_unix_nanos.saturating_sub(self.start_unix_nanos)
    }

    pub fn trace_id_hex(&self) -> String {
        hex::encode(self.trace_id)
    }

    pub fn span_id_hex(&self) -> String {
        hex::encode(self.span_id)
    }

    /// Truncates every string attribute (span and event attributes, status message) to
    /// at most `max_len` bytes, on a char boundary.
    pub fn truncate_attributes(&mut self, max_len: usize) {
        fn trunc(attrs: &mut Attributes, max_len: usize) {
            for (_, v) in attrs.iter_mut() {
                if let AttrValue::String(s) = v {
                    truncate_cow(s, max_len);
                }
            }
        }
        trunc(&mut self.attributes, max_len);
        for e in &mut self.events {
            trunc(&mut e.attributes, max_len);
        }
        if let SpanStatus::Error(m) = &mut self.status {
            truncate_string(m, max_len);
        }
    }
}

/// Current wall-clock time in Unix nanoseconds.
pub fn now_unix_nanos() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

thread_local! {
    /// Ids come from a fast generator per thread (xoshiro), seeded from the OS's entropy via
    /// `rand::rng()`: ids must be unique and unguessable in practice, not cryptographic
    /// secrets, and a CSPRNG's refill was ~1 % of the proxy's work per traced request.
    static IDS: std::cell::RefCell<rand::rngs::SmallRng> =
        std::cell::RefCell::new(rand::SeedableRng::from_rng(&mut rand::rng()));
}

/// Random bytes, not all zero (an all-zero id is invalid in W3C Trace Context and OTLP).
fn random_id<const N: usize>() -> [u8; N] {
    IDS.with(|rng| {
        let mut rng = rng.borrow_mut();
        let mut id = [0u8; N];
        loop {
            // Eight bytes per step (`random::<[u8; N]>()` drew each byte on its own).
            rng.fill_bytes(&mut id);
            if id != [0; N] {
                return id;
            }
        }
    })
}

/// A random, non-zero trace id.
pub fn new_trace_id() -> TraceId {
    random_id()
}

/// A random, non-zero span id.
pub fn new_span_id() -> SpanId {
    random_id()
}

/// `value` cut to at most `max_len` bytes, never splitting a UTF-8 character.
pub fn truncate_attr(value: &str, max_len: usize) -> &str {
    if value.len() <= max_len {
        return value;
    }
    let mut end = max_len;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// In-place variant of [`truncate_attr`].
pub fn truncate_string(value: &mut String, max_len: usize) {
    let len = truncate_attr(value, max_len).len();
    value.truncate(len);
}

fn truncate_cow(value: &mut Cow<'static, str>, max_len: usize) {
    let len = truncate_attr(value, max_len).len();
    if len == value.len() {
        return;
    }
    match value {
        Cow::Borrowed(s) => *value = Cow::Borrowed(&s[..len]),
        Cow::Owned(s) => s.truncate(len),
    }
}

/// Whether a header carries credentials and must not be recorded as-is. Case-insensitive.
pub fn is_sensitive_header(name: &str) -> bool {
    const EXACT: [&str; 7] =
        ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token"];
    if EXACT.iter().any(|e| e.eq_ignore_ascii_case(name)) {
        return true;
    }
    const PARTS: [&[u8]; 4] = [b"api-key", b"apikey", b"token", b"secret"];
    let n = name.as_bytes();
    PARTS.iter().any(|p| n.windows(p.len()).any(|w| w.eq_ignore_ascii_case(p)))
}

/// The value to record for a header: `"[REDACTED]"` for credentials, else `value`.
pub fn redact_header_value<'a>(name: &str, value: &'a str) -> &'a str {
    if is_sensitive_header(name) { REDACTED } else { value }
}

/// Whether a URL query parameter's name looks like it carries a secret (a token, key,
/// signature, password, session, one-time code …). Case-insensitive; a percent-encoded
/// name is decoded first.
pub fn is_sensitive_param(name: &str) -> bool {
    let decoded;
    let name = if name.contains('%') || name.contains('+') {
        decoded = percent_decode_lossy(name);
        decoded.as_str()
    } else {
        name
    };
    let n = name.to_ascii_lowercase();
    const EXACT: [&str; 8] = ["sig", "code", "key", "jwt", "otp", "pass", "pw", "sid"];
    const PARTS: [&str; 10] =
        ["token", "secret", "passw", "pwd", "auth", "signature", "credential", "session", "private", "apikey"];
    EXACT.contains(&n.as_str())
        || PARTS.iter().any(|p| n.contains(p))
        || n.ends_with("key")
        || n.ends_with("_sig")
        || n.ends_with("-sig")
}

/// A URL query with the values of secret-looking parameters ([`is_sensitive_param`])
/// replaced by `"[REDACTED]"` (`access_token=abc&page=2` → `access_token=[REDACTED]&page=2`).
/// Borrowed, without allocating, when nothing needs redacting.
pub fn redact_query(query: &str) -> Cow<'_, str> {
    let secret = |kv: &str| kv.split_once('=').is_some_and(|(k, _)| is_sensitive_param(k));
    if !query.split('&').any(secret) {
        return Cow::Borrowed(query);
    }
    let mut out = String::with_capacity(query.len());
    for (i, kv) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match kv.split_once('=') {
            Some((k, _)) if is_sensitive_param(k) => {
                out.push_str(k);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(kv),
        }
    }
    Cow::Owned(out)
}

/// An attribute's value with secrets redacted, as a store that receives spans from
/// anyone should keep it: URL attributes (`url.full`, `url.query`, `http.url`,
/// `http.target`) lose secret-looking query values ([`redact_query`]), and captured
/// credential headers (`http.request.header.authorization`...) their value.
pub fn redact_attribute<'a>(key: &str, value: &'a str) -> Cow<'a, str> {
    match key {
        "url.query" => redact_query(value),
        "url.full" | "http.url" | "http.target" => redact_url_query(value),
        _ => match key.strip_prefix("http.request.header.").or_else(|| key.strip_prefix("http.response.header.")) {
            Some(name) => Cow::Borrowed(redact_header_value(name, value)),
            None => Cow::Borrowed(value),
        },
    }
}

/// A URL (or a path with a query) with its query redacted by [`redact_query`].
pub fn redact_url_query(url: &str) -> Cow<'_, str> {
    match url.split_once('?') {
        Some((base, q)) => match redact_query(q) {
            Cow::Borrowed(_) => Cow::Borrowed(url),
            Cow::Owned(q) => Cow::Owned(format!("{base}?{q}")),
        },
        None => Cow::Borrowed(url),
    }
}

/// `%XX` and `+` decoded (invalid escapes kept as they are; bytes that are not UTF-8 replaced).
fn percent_decode_lossy(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                out.push(hex(b[i + 1]).unwrap_or(0) * 16 + hex(b[i + 2]).unwrap_or(0));
                i += 3;
                continue;
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which side of the exchange a captured header belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderSide {
    Request,
    Response,
}

/// Records headers as OpenTelemetry attributes `http.request.header.<name>` /
/// `http.response.header.<name>` (lower-cased name), redacting credentials and truncating
/// values to `max_len`. Repeated headers are joined with `", "`.
pub fn capture_headers<'a, I>(span: &mut SpanData, side: HeaderSide, headers: I, max_len: usize)
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let prefix = match side {
        HeaderSide::Request => "http.request.header.",
        HeaderSide::Response => "http.response.header.",
    };
    for (name, value) in headers {
        let mut key = String::with_capacity(prefix.len() + name.len());
        key.push_str(prefix);
        key.extend(name.chars().map(|c| c.to_ascii_lowercase()));
        let value = truncate_attr(redact_header_value(name, value), max_len);
        if let Some(slot) = span.attributes.iter_mut().find(|(k, _)| *k == key) {
            if let AttrValue::String(s) = &mut slot.1 {
                let s = s.to_mut();
                s.push_str(", ");
                s.push_str(value);
                truncate_string(s, max_len);
            }
        } else {
            span.attributes.push((Cow::Owned(key), AttrValue::String(Cow::Owned(value.to_owned()))));
        }
    }
}

/// Records up to `max_len` bytes of a body as attribute `key`, lossily decoded as UTF-8.
/// Meant for a prefix the caller copied while streaming (the body itself is never buffered
/// here).
pub fn capture_body(span: &mut SpanData, key: &'static str, prefix: &[u8], max_len: usize) {
    let mut cut = &prefix[..prefix.len().min(max_len)];
    if let Err(e) = std::str::from_utf8(cut)
        && e.error_len().is_none()
    {
        // The cut split a character at the end: drop the partial character.
        cut = &cut[..e.valid_up_to()];
    }
    let text = String::from_utf8_lossy(cut);
    let text = truncate_attr(&text, max_len).to_owned();
    span.set_attr(key, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_attr("hello", 10), "hello");
        assert_eq!(truncate_attr("hello", 3), "hel");
        // 'é' is 2 bytes: cutting at 2 would split it.
        assert_eq!(truncate_attr("héllo", 2), "h");
        assert_eq!(truncate_attr("héllo", 3), "hé");
        assert_eq!(truncate_attr("日本語", 4), "日");
        assert_eq!(truncate_attr("日本語", 0), "");
        let mut s = String::from("🙂🙂");
        truncate_string(&mut s, 5);
        assert_eq!(s, "🙂");
    }

    #[test]
    fn span_truncates_all_string_attributes() {
        let mut s = SpanData::start(new_trace_id(), None, "x", SpanKind::Server, Arc::new(Resource::new("svc")));
        s.set_attr("a", "0123456789");
        s.set_attr("b", "é".repeat(10));
        s.set_attr("n", 12345678901i64);
        s.status = SpanStatus::Error("x".repeat(100));
        s.add_event("ev", vec![("k".into(), "abcdefghijkl".into())]);
        s.truncate_attributes(5);
        assert_eq!(s.attr("a").unwrap().as_str(), Some("01234"));
        assert_eq!(s.attr("b").unwrap().as_str(), Some("éé"));
        assert_eq!(s.attr("n"), Some(&AttrValue::Int(12345678901)));
        assert_eq!(s.status, SpanStatus::Error("xxxxx".into()));
        assert_eq!(s.events[0].attributes[0].1.as_str(), Some("abcde"));
    }

    #[test]
    fn secret_looking_query_values_are_redacted() {
        for (raw, want) in [
            ("access_token=abc&page=2", "access_token=[REDACTED]&page=2"),
            ("page=2&API_KEY=k&sort=asc", "page=2&API_KEY=[REDACTED]&sort=asc"),
            (
                "X-Amz-Signature=s&X-Amz-Credential=c&X-Amz-Date=d",
                "X-Amz-Signature=[REDACTED]&X-Amz-Credential=[REDACTED]&X-Amz-Date=d",
            ),
            ("sig=1&sv=2", "sig=[REDACTED]&sv=2"),
            ("code=123&state=x", "code=[REDACTED]&state=x"),
            ("password=p&user=u", "password=[REDACTED]&user=u"),
            ("access%5Ftoken=abc", "access%5Ftoken=[REDACTED]"),
            ("client_secret=s", "client_secret=[REDACTED]"),
            ("sessionid=1", "sessionid=[REDACTED]"),
        ] {
            assert_eq!(redact_query(raw), want, "{raw}");
        }
        for plain in ["page=2&sort=asc", "q=token", "token", "", "keyword=rust&sort=key"] {
            let r = redact_query(plain);
            assert!(matches!(r, Cow::Borrowed(_)), "{plain} -> {r}");
        }
        assert_eq!(redact_url_query("http://up:8080/a?b=1&token=t"), "http://up:8080/a?b=1&token=[REDACTED]");
        assert_eq!(redact_url_query("/a/b"), "/a/b");
    }

    #[test]
    fn received_attributes_are_redacted_by_kind() {
        assert_eq!(redact_attribute("url.query", "access_token=abc&page=2"), "access_token=[REDACTED]&page=2");
        assert_eq!(redact_attribute("url.full", "https://x.io/a?sig=1&b=2"), "https://x.io/a?sig=[REDACTED]&b=2");
        assert_eq!(redact_attribute("http.target", "/a?password=p"), "/a?password=[REDACTED]");
        assert_eq!(redact_attribute("http.request.header.authorization", "Bearer x"), REDACTED);
        assert_eq!(redact_attribute("http.response.header.set-cookie", "s=1"), REDACTED);
        assert_eq!(redact_attribute("http.request.header.accept", "*/*"), "*/*");
        assert_eq!(redact_attribute("custom.note", "token=abc"), "token=abc", "other attributes are free text");
    }

    #[test]
    fn sensitive_headers_are_redacted() {
        for h in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "Set-Cookie",
            "X-API-Key",
            "api-key",
            "X-Auth-Token",
            "x-goog-api-key",
            "X-Apikey",
            "x-csrf-token",
            "X-Client-Secret",
        ] {
            assert!(is_sensitive_header(h), "{h}");
            assert_eq!(redact_header_value(h, "s3cr3t"), REDACTED);
        }
        for h in ["content-type", "accept", "x-request-id", "user-agent", "host"] {
            assert!(!is_sensitive_header(h), "{h}");
            assert_eq!(redact_header_value(h, "v"), "v");
        }
    }

    #[test]
    fn capture_headers_redacts_truncates_and_joins() {
        let mut s = SpanData::start(new_trace_id(), None, "x", SpanKind::Server, Arc::new(Resource::new("svc")));
        let headers = [
            ("Authorization", "Bearer abc"),
            ("Cookie", "session=1"),
            ("Accept", "text/html"),
            ("Accept", "application/json"),
            ("X-Long", "0123456789abcdef"),
        ];
        capture_headers(&mut s, HeaderSide::Request, headers, 12);
        assert_eq!(s.attr("http.request.header.authorization").unwrap().as_str(), Some(REDACTED));
        assert_eq!(s.attr("http.request.header.cookie").unwrap().as_str(), Some(REDACTED));
        assert_eq!(s.attr("http.request.header.accept").unwrap().as_str(), Some("text/html, a"));
        assert_eq!(s.attr("http.request.header.x-long").unwrap().as_str(), Some("0123456789ab"));
        capture_headers(&mut s, HeaderSide::Response, [("Set-Cookie", "a=b")], 64);
        assert_eq!(s.attr("http.response.header.set-cookie").unwrap().as_str(), Some(REDACTED));
    }

    #[test]
    fn capture_body_is_bounded() {
        let mut s = SpanData::start(new_trace_id(), None, "x", SpanKind::Server, Arc::new(Resource::new("svc")));
        capture_body(&mut s, "http.request.body", "héllo wörld".as_bytes(), 2);
        assert_eq!(s.attr("http.request.body").unwrap().as_str(), Some("h"));
        capture_body(&mut s, "http.request.body", "héllo wörld".as_bytes(), 3);
        assert_eq!(s.attr("http.request.body").unwrap().as_str(), Some("hé"));
        capture_body(&mut s, "http.request.body", &[b'a', 0xff, b'b'], 16);
        assert_eq!(s.attr("http.request.body").unwrap().as_str(), Some("a\u{FFFD}b"));
        capture_body(&mut s, "http.request.body", b"abcdef", 4);
        assert_eq!(s.attr("http.request.body").unwrap().as_str(), Some("abcd"));
    }

    #[test]
    fn ids_are_nonzero_and_set_attr_replaces() {
        assert_ne!(new_trace_id(), [0; 16]);
        assert_ne!(new_span_id(), [0; 8]);
        let mut a = Attributes::new();
        set_attr(&mut a, "k", 1i64);
        set_attr(&mut a, "j", true);
        set_attr(&mut a, "k", 2i64);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].1, AttrValue::Int(2));
    }

    /// Each thread's generator has its own seed: no two threads (proxy workers) produce the
    /// same ids, and no id repeats within a thread.
    #[test]
    fn ids_do_not_repeat_within_or_across_threads() {
        let draw = || (0..20_000).map(|_| new_trace_id()).collect::<Vec<_>>();
        let other = std::thread::spawn(draw);
        let mut all = draw();
        all.extend(other.join().unwrap());
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
        let spans: std::collections::HashSet<SpanId> = (0..20_000).map(|_| new_span_id()).collect();
        assert_eq!(spans.len(), 20_000);
    }
}
