//! Jaeger Thrift encoding: a hand-written Thrift *binary protocol* writer (and a minimal
//! reader, for tests and diagnostics) of `jaeger.thrift`'s `Batch`, the body the Jaeger
//! collector accepts on `POST /api/traces` with `content-type: application/x-thrift`.
//!
//! Schema covered:
//! `Batch{1: Process process, 2: list<Span> spans}`,
//! `Process{1: string serviceName, 2: list<Tag> tags}`,
//! `Span{1: i64 traceIdLow, 2: i64 traceIdHigh, 3: i64 spanId, 4: i64 parentSpanId,
//! 5: string operationName, 6: list<SpanRef> references, 7: i32 flags, 8: i64 startTime,
//! 9: i64 duration, 10: list<Tag> tags, 11: list<Log> logs}` (times in microseconds),
//! `SpanRef{1: i32 refType, 2: i64 traceIdLow, 3: i64 traceIdHigh, 4: i64 spanId}`,
//! `Tag{1: string key, 2: i32 vType, 3: string vStr, 4: double vDouble, 5: bool vBool,
//! 6: i64 vLong, 7: binary vBinary}`, `Log{1: i64 timestamp, 2: list<Tag> fields}`.
//!
//! What it does not know: the compact protocol, the agent's UDP `emitBatch` envelope, and
//! transports.

use crate::span::{AttrValue, SpanData, SpanKind, SpanStatus};

// Thrift binary protocol type ids.
const T_STOP: u8 = 0;
const T_BOOL: u8 = 2;
const T_BYTE: u8 = 3;
const T_DOUBLE: u8 = 4;
const T_I16: u8 = 6;
const T_I32: u8 = 8;
const T_I64: u8 = 10;
const T_STRING: u8 = 11;
const T_STRUCT: u8 = 12;
const T_MAP: u8 = 13;
const T_SET: u8 = 14;
const T_LIST: u8 = 15;

/// Jaeger `TagType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum TagType {
    String = 0,
    Double = 1,
    Bool = 2,
    Long = 3,
    Binary = 4,
}

/// A decoded Jaeger tag.
#[derive(Debug, Clone, PartialEq)]
pub enum JaegerTagValue {
    Str(String),
    Double(f64),
    Bool(bool),
    Long(i64),
    Binary(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct JaegerTag {
    pub key: String,
    pub value: JaegerTagValue,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JaegerLog {
    pub timestamp: i64,
    pub fields: Vec<JaegerTag>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JaegerSpanRef {
    pub ref_type: i32,
    pub trace_id_low: i64,
    pub trace_id_high: i64,
    pub span_id: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JaegerSpan {
    pub trace_id_low: i64,
    pub trace_id_high: i64,
    pub span_id: i64,
    pub parent_span_id: i64,
    pub operation_name: String,
    pub references: Vec<JaegerSpanRef>,
    pub flags: i32,
    pub start_time: i64,
    pub duration: i64,
    pub tags: Vec<JaegerTag>,
    pub logs: Vec<JaegerLog>,
}

impl JaegerSpan {
    pub fn tag(&self, key: &str) -> Option<&JaegerTagValue> {
        self.tags.iter().find(|t| t.key == key).map(|t| &t.value)
    }
    /// The 16-byte trace id (high then low, big-endian).
    pub fn trace_id(&self) -> [u8; 16] {
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&self.trace_id_high.to_be_bytes());
        id[8..].copy_from_slice(&self.trace_id_low.to_be_bytes());
        id
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JaegerProcess {
    pub service_name: String,
    pub tags: Vec<JaegerTag>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JaegerBatch {
    pub process: JaegerProcess,
    pub spans: Vec<JaegerSpan>,
}

// ---------------------------------------------------------------- writer

struct W {
    buf: Vec<u8>,
}

impl W {
    fn field(&mut self, ty: u8, id: i16) {
        self.buf.push(ty);
        self.buf.extend_from_slice(&id.to_be_bytes());
    }
    fn stop(&mut self) {
        self.buf.push(T_STOP);
    }
    fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.i32(v.len() as i32);
        self.buf.extend_from_slice(v);
    }
    fn list(&mut self, elem: u8, n: usize) {
        self.buf.push(elem);
        self.i32(n as i32);
    }
    fn f_i64(&mut self, id: i16, v: i64) {
        self.field(T_I64, id);
        self.i64(v);
    }
    fn f_i32(&mut self, id: i16, v: i32) {
        self.field(T_I32, id);
        self.i32(v);
    }
    fn f_str(&mut self, id: i16, v: &str) {
        self.field(T_STRING, id);
        self.bytes(v.as_bytes());
    }

    fn tag(&mut self, key: &str, v: &AttrValue) {
        self.f_str(1, key);
        match v {
            AttrValue::String(s) => {
                self.f_i32(2, TagType::String as i32);
                self.f_str(3, s);
            }
            AttrValue::Float(f) => {
                self.f_i32(2, TagType::Double as i32);
                self.field(T_DOUBLE, 4);
                self.buf.extend_from_slice(&f.to_bits().to_be_bytes());
            }
            AttrValue::Bool(b) => {
                self.f_i32(2, TagType::Bool as i32);
                self.field(T_BOOL, 5);
                self.buf.push(u8::from(*b));
            }
            AttrValue::Int(i) => {
                self.f_i32(2, TagType::Long as i32);
                self.f_i64(6, *i);
            }
        }
        self.stop();
    }

    fn tags<'a, I>(&mut self, id: i16, tags: I)
    where
        I: ExactSizeIterator<Item = (&'a str, &'a AttrValue)>,
    {
        self.field(T_LIST, id);
        self.list(T_STRUCT, tags.len());
        for (k, v) in tags {
            self.tag(k, v);
        }
    }
}

fn id_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    i64::from_be_bytes(a)
}

/// Encodes one `Batch` for one process: service name and resource attributes come from
/// the first span's resource (spans of one pipeline share it). Span tags get `span.kind`,
/// and on failure `error=true` plus `otel.status_description`.
pub fn encode_jaeger_batch(spans: &[SpanData]) -> Vec<u8> {
    let mut w = W { buf: Vec::with_capacity(128 + spans.len() * 256) };
    let (service, res_attrs) = match spans.first() {
        Some(s) => (s.resource.service_name.as_str(), s.resource.attributes.as_slice()),
        None => ("unknown_service", &[][..]),
    };
    // Batch.process
    w.field(T_STRUCT, 1);
    w.f_str(1, service);
    w.tags(2, res_attrs.iter().map(|(k, v)| (k.as_ref(), v)));
    w.stop();
    // Batch.spans
    w.field(T_LIST, 2);
    w.list(T_STRUCT, spans.len());
    let t_true = AttrValue::Bool(true);
    for s in spans {
        let trace_high = id_i64(&s.trace_id[..8]);
        let trace_low = id_i64(&s.trace_id[8..]);
        w.f_i64(1, trace_low);
        w.f_i64(2, trace_high);
        w.f_i64(3, id_i64(&s.span_id));
        w.f_i64(4, s.parent_span_id.map(|p| id_i64(&p)).unwrap_or(0));
        w.f_str(5, &s.name);
        if let Some(p) = &s.parent_span_id {
            w.field(T_LIST, 6);
            w.list(T_STRUCT, 1);
            w.f_i32(1, 0); // CHILD_OF
            w.f_i64(2, trace_low);
            w.f_i64(3, trace_high);
            w.f_i64(4, id_i64(p));
            w.stop();
        }
        w.f_i32(7, 1); // sampled
        w.f_i64(8, (s.start_unix_nanos / 1000) as i64);
        w.f_i64(9, (s.duration_nanos() / 1000) as i64);

        let kind = match s.kind {
            SpanKind::Server => Some(AttrValue::from("server")),
            SpanKind::Client => Some(AttrValue::from("client")),
            SpanKind::Internal => None,
        };
        let (status_code, err_msg) = match &s.status {
            SpanStatus::Unset => (None, None),
            SpanStatus::Ok => (Some(AttrValue::from("OK")), None),
            SpanStatus::Error(m) => (Some(AttrValue::from("ERROR")), Some(AttrValue::from(m.clone()))),
        };
        let mut extra: Vec<(&str, &AttrValue)> = Vec::with_capacity(4);
        if let Some(k) = &kind {
            extra.push(("span.kind", k));
        }
        if let Some(c) = &status_code {
            extra.push(("otel.status_code", c));
        }
        if let Some(m) = &err_msg {
            extra.push(("error", &t_true));
            extra.push(("otel.status_description", m));
        }
        let all: Vec<(&str, &AttrValue)> = s.attributes.iter().map(|(k, v)| (k.as_ref(), v)).chain(extra).collect();
        w.tags(10, all.into_iter());

        if !s.events.is_empty() {
            w.field(T_LIST, 11);
            w.list(T_STRUCT, s.events.len());
            for e in &s.events {
                w.f_i64(1, (e.time_unix_nano / 1000) as i64);
                let event = AttrValue::String(e.name.clone());
                let fields: Vec<(&str, &AttrValue)> = std::iter::once(("event", &event))
                    .chain(e.attributes.iter().map(|(k, v)| (k.as_ref(), v)))
                    .collect();
                w.tags(2, fields.into_iter());
                w.stop();
            }
        }
        w.stop();
    }
    w.stop();
    w.buf
}

// ---------------------------------------------------------------- reader

/// Errors reading a Thrift payload.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ThriftError {
    #[error("unexpected end of input")]
    Eof,
    #[error("invalid thrift: {0}")]
    Invalid(&'static str),
}

struct R<'a> {
    b: &'a [u8],
    depth: u32,
}

impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ThriftError> {
        if self.b.len() < n {
            return Err(ThriftError::Eof);
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    fn u8(&mut self) -> Result<u8, ThriftError> {
        Ok(self.take(1)?[0])
    }
    fn i16(&mut self) -> Result<i16, ThriftError> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, ThriftError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Result<i64, ThriftError> {
        Ok(id_i64(self.take(8)?))
    }
    fn f64(&mut self) -> Result<f64, ThriftError> {
        Ok(f64::from_bits(self.i64()? as u64))
    }
    fn binary(&mut self) -> Result<Vec<u8>, ThriftError> {
        let n = self.i32()?;
        if n < 0 {
            return Err(ThriftError::Invalid("negative length"));
        }
        Ok(self.take(n as usize)?.to_vec())
    }
    fn string(&mut self) -> Result<String, ThriftError> {
        String::from_utf8(self.binary()?).map_err(|_| ThriftError::Invalid("string is not UTF-8"))
    }
    /// Field header: `None` at STOP.
    fn field(&mut self) -> Result<Option<(u8, i16)>, ThriftError> {
        let ty = self.u8()?;
        if ty == T_STOP {
            return Ok(None);
        }
        Ok(Some((ty, self.i16()?)))
    }
    fn list_header(&mut self) -> Result<(u8, usize), ThriftError> {
        let ty = self.u8()?;
        let n = self.i32()?;
        if n < 0 || n as usize > self.b.len() {
            return Err(ThriftError::Invalid("bad list size"));
        }
        Ok((ty, n as usize))
    }
    fn skip(&mut self, ty: u8) -> Result<(), ThriftError> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(ThriftError::Invalid("nesting too deep"));
        }
        match ty {
            T_BOOL | T_BYTE => {
                self.take(1)?;
            }
            T_I16 => {
                self.take(2)?;
            }
            T_I32 => {
                self.take(4)?;
            }
            T_DOUBLE | T_I64 => {
                self.take(8)?;
            }
            T_STRING => {
                self.binary()?;
            }
            T_STRUCT => {
                while let Some((t, _)) = self.field()? {
                    self.skip(t)?;
                }
            }
            T_MAP => {
                let (kt, vt, n) = (self.u8()?, self.u8()?, self.i32()?);
                for _ in 0..n.max(0) {
                    self.skip(kt)?;
                    self.skip(vt)?;
                }
            }
            T_SET | T_LIST => {
                let (et, n) = self.list_header()?;
                for _ in 0..n {
                    self.skip(et)?;
                }
            }
            _ => return Err(ThriftError::Invalid("unknown type")),
        }
        self.depth -= 1;
        Ok(())
    }
    fn expect(&self, got: u8, want: u8) -> Result<(), ThriftError> {
        if got == want { Ok(()) } else { Err(ThriftError::Invalid("unexpected field type")) }
    }
    fn struct_list<T>(&mut self, f: impl Fn(&mut Self) -> Result<T, ThriftError>) -> Result<Vec<T>, ThriftError> {
        let (et, n) = self.list_header()?;
        self.expect(et, T_STRUCT)?;
        (0..n).map(|_| f(self)).collect()
    }

    fn tag(&mut self) -> Result<JaegerTag, ThriftError> {
        let (mut key, mut vtype) = (String::new(), 0);
        let (mut s, mut d, mut b, mut l, mut bin) = (String::new(), 0.0, false, 0, Vec::new());
        while let Some((t, id)) = self.field()? {
            match (id, t) {
                (1, T_STRING) => key = self.string()?,
                (2, T_I32) => vtype = self.i32()?,
                (3, T_STRING) => s = self.string()?,
                (4, T_DOUBLE) => d = self.f64()?,
                (5, T_BOOL) => b = self.u8()? != 0,
                (6, T_I64) => l = self.i64()?,
                (7, T_STRING) => bin = self.binary()?,
                _ => self.skip(t)?,
            }
        }
        let value = match vtype {
            0 => JaegerTagValue::Str(s),
            1 => JaegerTagValue::Double(d),
            2 => JaegerTagValue::Bool(b),
            3 => JaegerTagValue::Long(l),
            4 => JaegerTagValue::Binary(bin),
            _ => return Err(ThriftError::Invalid("unknown tag type")),
        };
        Ok(JaegerTag { key, value })
    }

    fn process(&mut self) -> Result<JaegerProcess, ThriftError> {
        let mut p = JaegerProcess::default();
        while let Some((t, id)) = self.field()? {
            match (id, t) {
                (1, T_STRING) => p.service_name = self.string()?,
                (2, T_LIST) => p.tags = self.struct_list(Self::tag)?,
                _ => self.skip(t)?,
            }
        }
        Ok(p)
    }

    fn log(&mut self) -> Result<JaegerLog, ThriftError> {
        let mut l = JaegerLog::default();
        while let Some((t, id)) = self.field()? {
            match (id, t) {
                (1, T_I64) => l.timestamp = self.i64()?,
                (2, T_LIST) => l.fields = self.struct_list(Self::tag)?,
                _ => self.skip(t)?,
            }
        }
        Ok(l)
    }

    fn span_ref(&mut self) -> Result<JaegerSpanRef, ThriftError> {
        let mut r = JaegerSpanRef::default();
        while let Some((t, id)) = self.field()? {
            match (id, t) {
                (1, T_I32) => r.ref_type = self.i32()?,
                (2, T_I64) => r.trace_id_low = self.i64()?,
                (3, T_I64) => r.trace_id_high = self.i64()?,
                (4, T_I64) => r.span_id = self.i64()?,
                _ => self.skip(t)?,
            }
        }
        Ok(r)
    }

    fn span(&mut self) -> Result<JaegerSpan, ThriftError> {
        let mut s = JaegerSpan::default();
        while let Some((t, id)) = self.field()? {
            match (id, t) {
                (1, T_I64) => s.trace_id_low = self.i64()?,
                (2, T_I64) => s.trace_id_high = self.i64()?,
                (3, T_I64) => s.span_id = self.i64()?,
                (4, T_I64) => s.parent_span_id = self.i64()?,
                (5, T_STRING) => s.operation_name = self.string()?,
                (6, T_LIST) => s.references = self.struct_list(Self::span_ref)?,
                (7, T_I32) => s.flags = self.i32()?,
                (8, T_I64) => s.start_time = self.i64()?,
                (9, T_I64) => s.duration = self.i64()?,
                (10, T_LIST) => s.tags = self.struct_list(Self::tag)?,
                (11, T_LIST) => s.logs = self.struct_list(Self::log)?,
                _ => self.skip(t)?,
            }
        }
        Ok(s)
    }
}

/// Decodes a binary-protocol `Batch` (as the Jaeger collector's `/api/traces` does).
pub fn decode_jaeger_batch(bytes: &[u8]) -> Result<JaegerBatch, ThriftError> {
    let mut r = R { b: bytes, depth: 0 };
    let mut batch = JaegerBatch::default();
    while let Some((t, id)) = r.field()? {
        match (id, t) {
            (1, T_STRUCT) => batch.process = r.process()?,
            (2, T_LIST) => batch.spans = r.struct_list(R::span)?,
            _ => r.skip(t)?,
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{Resource, SpanData, SpanKind};
    use std::sync::Arc;

    #[test]
    fn round_trip_and_exact_bytes() {
        let mut res = Resource::new("svc");
        res.attributes.push(("env".into(), "prod".into()));
        let res = Arc::new(res);
        let mut s = SpanData::start([1; 16], Some([3; 8]), "GET /x", SpanKind::Server, res);
        s.span_id = [2; 8];
        s.start_unix_nanos = 1_000_000_000;
        s.end_unix_nanos = 1_002_500_000;
        s.set_attr("http.status_code", 503i64);
        s.set_attr("ratio", 0.5);
        s.set_attr("retry", true);
        s.set_attr("route", "api");
        s.status = SpanStatus::Error("upstream failed".into());
        s.events.push(crate::span::SpanEvent {
            name: "retry".into(),
            time_unix_nano: 1_001_000_000,
            attributes: vec![],
        });
        let bytes = encode_jaeger_batch(std::slice::from_ref(&s));
        let b = decode_jaeger_batch(&bytes).unwrap();
        assert_eq!(b.process.service_name, "svc");
        assert_eq!(b.process.tags, vec![JaegerTag { key: "env".into(), value: JaegerTagValue::Str("prod".into()) }]);
        let j = &b.spans[0];
        assert_eq!(j.trace_id(), [1; 16]);
        assert_eq!(j.trace_id_low, 0x0101010101010101);
        assert_eq!(j.span_id, 0x0202020202020202);
        assert_eq!(j.parent_span_id, 0x0303030303030303);
        assert_eq!(
            j.references,
            vec![JaegerSpanRef {
                ref_type: 0,
                trace_id_low: j.trace_id_low,
                trace_id_high: j.trace_id_high,
                span_id: j.parent_span_id
            }]
        );
        assert_eq!(j.operation_name, "GET /x");
        assert_eq!((j.flags, j.start_time, j.duration), (1, 1_000_000, 2_500));
        assert_eq!(j.tag("http.status_code"), Some(&JaegerTagValue::Long(503)));
        assert_eq!(j.tag("ratio"), Some(&JaegerTagValue::Double(0.5)));
        assert_eq!(j.tag("retry"), Some(&JaegerTagValue::Bool(true)));
        assert_eq!(j.tag("route"), Some(&JaegerTagValue::Str("api".into())));
        assert_eq!(j.tag("span.kind"), Some(&JaegerTagValue::Str("server".into())));
        assert_eq!(j.tag("error"), Some(&JaegerTagValue::Bool(true)));
        assert_eq!(j.tag("otel.status_description"), Some(&JaegerTagValue::Str("upstream failed".into())));
        assert_eq!(j.logs.len(), 1);
        assert_eq!(j.logs[0].timestamp, 1_001_000);

        // The first bytes are exactly Thrift binary: struct field 1 (process), then
        // string field 1 (serviceName) of length 3.
        assert_eq!(&bytes[..3], &[T_STRUCT, 0, 1]);
        assert_eq!(&bytes[3..10], &[T_STRING, 0, 1, 0, 0, 0, 3]);
        assert_eq!(&bytes[10..13], b"svc");
        assert_eq!(*bytes.last().unwrap(), T_STOP);
    }

    #[test]
    fn reader_rejects_garbage_and_skips_unknown() {
        assert_eq!(decode_jaeger_batch(&[T_STRUCT, 0, 1, T_STRING]), Err(ThriftError::Eof));
        assert!(decode_jaeger_batch(&[T_LIST, 0, 2, T_STRUCT, 0x7f, 0xff, 0xff, 0xff]).is_err());
        // Unknown field 9 (i32) then STOP.
        let b = decode_jaeger_batch(&[T_I32, 0, 9, 0, 0, 0, 5, T_STOP]).unwrap();
        assert_eq!(b, JaegerBatch::default());
    }
}
