//! Request extractors whose rejections are our own [`ApiError`] shapes: malformed JSON,
//! wrong types, huge numbers and unknown enum values become 422 with the field's location.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use marchproxy_model::FieldError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::error::ApiError;
use crate::auth::{Claims, Role};
use crate::state::AppState;
use crate::store::{self, ListFilter};

fn field_error(prefix: &str, path: &serde_path_to_error::Path, msg: String, kind: &str) -> FieldError {
    let mut loc = vec![serde_json::Value::from(prefix)];
    for seg in path.iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => loc.push((*index).into()),
            serde_path_to_error::Segment::Map { key } => loc.push(key.clone().into()),
            serde_path_to_error::Segment::Enum { variant } => loc.push(variant.clone().into()),
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    // serde reports a missing field at its parent; name the field itself.
    let mut kind = kind.to_string();
    if let Some(name) = msg.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
        loc.push(name.into());
        kind = "missing".into();
        return FieldError { loc, msg: "field required".into(), kind };
    }
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    FieldError { loc, msg, kind }
}

/// JSON body extractor.
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned + Serialize, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::field(&["body"], format!("cannot read request body: {e}")))?;
        parse_json(&bytes).map(AppJson)
    }
}

/// How an update body applies to the stored object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// `PUT`: each top-level field the body names replaces the stored one whole (a nested
    /// object sent is the new object: what it leaves out takes its default), `null` clears
    /// an optional field, fields not named keep their stored values. The original
    /// MarchProxy `*Update` semantics (pydantic's `exclude_unset`).
    Replace,
    /// `PATCH`: a JSON merge patch (RFC 7396): nested objects merge field by field.
    Merge,
}

/// An update onto `current`'s JSON form ([`Update`] says how deep): fields the body omits
/// keep their stored values, so a full object replaces, and a partial one (the original
/// MarchProxy client's all-optional `*Update` bodies) changes only what it names; nothing
/// is reset by being left out. `aliases` (`(alias, name)`) are renamed first, so an alias
/// and the stored name never meet. The result is parsed as a create body would be (a bad
/// field is a 422 naming it).
pub fn merge_patch<T: serde::Serialize + DeserializeOwned>(
    current: &T,
    body: &[u8],
    aliases: &[(&str, &str)],
    how: Update,
) -> Result<T, ApiError> {
    let mut patch = json_document(body)?;
    let Some(fields) = patch.as_object_mut() else {
        return Err(ApiError::field(&["body"], "must be a JSON object"));
    };
    for (alias, name) in aliases {
        if let Some(v) = fields.remove(*alias) {
            if fields.contains_key(*name) {
                return Err(ApiError::field(
                    &["body", alias],
                    format!("`{alias}` and `{name}` are the same field; send one"),
                ));
            }
            fields.insert((*name).to_string(), v);
        }
    }
    let mut doc = serde_json::to_value(current).map_err(|e| ApiError::Internal(e.into()))?;
    match how {
        Update::Merge => merge(&mut doc, patch),
        Update::Replace => {
            let stored = doc.as_object_mut().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("not an object")))?;
            let serde_json::Value::Object(fields) = patch else { unreachable!("checked to be an object above") };
            for (k, v) in fields {
                if v.is_null() {
                    stored.remove(&k);
                } else {
                    stored.insert(k, v);
                }
            }
        }
    }
    from_json_document(doc)
}

fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    match patch {
        serde_json::Value::Object(fields) => {
            if !target.is_object() {
                *target = serde_json::Value::Object(Default::default());
            }
            let t = target.as_object_mut().expect("made an object above");
            for (k, v) in fields {
                if v.is_null() {
                    t.remove(&k);
                } else {
                    merge(t.entry(k).or_insert(serde_json::Value::Null), v);
                }
            }
        }
        other => *target = other,
    }
}

/// Parse a JSON document into `T`, reporting the failing field.
pub fn parse_json<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, ApiError> {
    from_json_document(json_document(bytes)?)
}

/// A request body as JSON: present, well-formed, integral floats as integers.
fn json_document(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::field(&["body"], "a JSON body is required"));
    }
    let mut doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::Validation(vec![FieldError {
            loc: vec!["body".into(), e.column().into()],
            msg: format!("invalid JSON: {}", e.to_string().split(" at line ").next().unwrap_or_default()),
            kind: "value_error.jsondecode".into(),
        }])
    })?;
    integral_floats_as_integers(&mut doc);
    Ok(doc)
}

/// `T` from a body's JSON, reporting the failing field.
fn from_json_document<T: DeserializeOwned + Serialize>(doc: serde_json::Value) -> Result<T, ApiError> {
    let value: T = serde_path_to_error::deserialize(&doc)
        .map_err(|e| ApiError::Validation(vec![field_error("body", e.path(), e.inner().to_string(), "type_error")]))?;
    // serde takes a JSON array for a struct (its fields in order); the API's objects are
    // objects. Where the parsed value has an object, the input must have had one.
    let parsed = serde_json::to_value(&value).map_err(|e| ApiError::Internal(e.into()))?;
    let mut loc = vec![serde_json::Value::from("body")];
    if array_for_object(&doc, &parsed, &mut loc) {
        return Err(ApiError::Validation(vec![FieldError {
            loc,
            msg: "must be a JSON object".into(),
            kind: "type_error".into(),
        }]));
    }
    Ok(value)
}

/// Whether `input` has an array where `parsed` (the same document after a round trip through
/// its type) has an object; `loc` is left at the first such place.
fn array_for_object(input: &serde_json::Value, parsed: &serde_json::Value, loc: &mut Vec<serde_json::Value>) -> bool {
    use serde_json::Value::{Array, Object};
    match (input, parsed) {
        (Array(_), Object(_)) => true,
        (Object(a), Object(b)) => a.iter().any(|(k, v)| {
            b.get(k).is_some_and(|w| {
                loc.push(k.as_str().into());
                array_for_object(v, w, loc) || {
                    loc.pop();
                    false
                }
            })
        }),
        (Array(a), Array(b)) => a.iter().zip(b).enumerate().any(|(i, (v, w))| {
            loc.push(i.into());
            array_for_object(v, w, loc) || {
                loc.pop();
                false
            }
        }),
        _ => false,
    }
}

/// `3.0` is the integer 3 to JSON Schema (and to JavaScript and Python clients that send
/// it), so integer fields take it too.
fn integral_floats_as_integers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                *v = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(integral_floats_as_integers),
        serde_json::Value::Object(m) => m.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// Query-string extractor.
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut q = parts.uri.query().unwrap_or("").to_string();
        // Every declared parameter is one value (form style): `start[]=…` or `start[a]=…` is
        // an array or object where a value belongs. Without this the key would not match
        // `start`, and the request would pass as if `start` were absent. (Other keys are
        // not ours, and are ignored as before.)
        let fields = struct_fields::<T>();
        for (k, _) in form_urlencoded::parse(q.as_bytes()) {
            if let Some((name, _)) = k.split_once('[')
                && fields.contains(&name)
            {
                return Err(ApiError::field(&["query", name], "must be a single value, not an array or object"));
            }
        }
        // A field that is not an integer but an integral decimal (`1.0`, what JSON Schema
        // counts as the integer 1) is read as that integer; only fields that failed to
        // parse are touched, so a string parameter keeps its text. One retry per field.
        for _ in 0..8 {
            let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
            let e = match serde_path_to_error::deserialize(de) {
                Ok(v) => return Ok(AppQuery(v)),
                Err(e) => e,
            };
            let msg = e.inner().to_string();
            let mut fe = field_error("query", e.path(), msg.clone(), "type_error");
            // serde_urlencoded names the bad field only in the message.
            if fe.loc.len() == 1
                && let Some(name) = msg.split('`').nth(1)
            {
                fe.loc.push(name.into());
            }
            let field = fe.loc.get(1).and_then(|v| v.as_str()).map(str::to_string);
            let pairs: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes()).into_owned().collect();
            let Some(field) = field.filter(|f| pairs.iter().any(|(k, v)| k == f && integral_decimal(v).is_some()))
            else {
                return Err(ApiError::Validation(vec![fe]));
            };
            let mut out = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                out.append_pair(k, if *k == field { integral_decimal(v).unwrap_or(v) } else { v });
            }
            q = out.finish();
        }
        Err(ApiError::field(&["query"], "too many malformed parameters"))
    }
}

/// The field names a struct deserializes (empty for a map, or a struct with flattened parts:
/// serde reads those as maps).
fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("field probe"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(serde::de::Error::custom("field probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// `12.0` → `12` (an integral decimal's integer part); `None` for anything else.
fn integral_decimal(s: &str) -> Option<&str> {
    let (int, frac) = s.split_once('.')?;
    let digits = int.strip_prefix('-').unwrap_or(int);
    (!digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b == b'0'))
    .then_some(int)
}

/// An integer id in the path (`/things/{id}`).
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::field(&["path", "id"], "missing id"))?;
        positive_id(&raw).map(PathId).ok_or_else(|| ApiError::field(&["path", "id"], "must be a positive integer"))
    }
}

/// A path id: a positive integer (or its integral decimal, `3.0`).
fn positive_id(v: &str) -> Option<i64> {
    v.parse::<i64>().ok().or_else(|| integral_decimal(v)?.parse::<i64>().ok()).filter(|id| *id > 0)
}

/// Two integer ids in the path (`/things/{id}/parts/{part_id}`), in the path's order.
pub struct PathIds(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) = axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::field(&["path", "id"], "missing id"))?;
        let mut ids = [0i64; 2];
        for (i, id) in ids.iter_mut().enumerate() {
            let (name, v) = raw.get(i).ok_or_else(|| ApiError::field(&["path", "id"], "missing id"))?;
            *id = positive_id(v).ok_or_else(|| ApiError::field(&["path", name], "must be a positive integer"))?;
        }
        Ok(PathIds(ids[0], ids[1]))
    }
}

/// An authenticated user (any role). The token must be valid and still current: its user
/// exists, its token version is the user's, and it was not revoked. `role` is the user's
/// role now, not the one the token was issued with.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Claims);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::Unauthorized("Not authenticated".into()))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::Unauthorized("Not authenticated".into()))?;
        let mut claims = state.auth.verify_access(token.trim())?;
        let user = store::users::session(&state.db, claims.user_id(), claims.ver, &claims.jti)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("Not authenticated".into()))?;
        claims.role = user.role;
        claims.name = user.username;
        Ok(AuthUser(claims))
    }
}

/// An authenticated admin: viewers get 403.
#[derive(Debug, Clone)]
pub struct Admin(pub Claims);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let AuthUser(claims) = AuthUser::from_request_parts(parts, state).await?;
        if claims.role != Role::Admin {
            return Err(ApiError::Forbidden("Insufficient permissions: admin role required".into()));
        }
        Ok(Admin(claims))
    }
}

/// Standard list parameters.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub cluster_id: Option<i64>,
    pub service_id: Option<i64>,
    #[serde(default)]
    pub enabled_only: bool,
    /// Items to skip.
    #[serde(default)]
    pub skip: u32,
    /// Page size (1-1000, default 1000); `X-Total-Count` has the total.
    #[serde(default = "default_limit")]
    #[param(minimum = 1, maximum = 1000, default = 1000)]
    pub limit: u32,
}

/// For flags that are on unless turned off.
pub(crate) fn default_true() -> bool {
    true
}

/// The page size of a list when the client names none: the largest page, so a client that
/// never pages (the original MarchProxy console) gets every item of any list up to 1,000;
/// `X-Total-Count` says when there are more.
pub(crate) fn default_limit() -> u32 {
    1000
}

impl ListParams {
    /// The storage filter, once the page size is checked (422 naming `limit` otherwise).
    pub fn filter(self) -> Result<ListFilter, ApiError> {
        let ListParams { cluster_id, service_id, enabled_only, skip, limit } = self;
        let (skip, limit) = PageParams { skip, limit }.checked()?;
        Ok(ListFilter { cluster_id, service_id, enabled_only, skip, limit })
    }
}

/// A page of a list that has no filters (a route table's failover drills).
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items to skip.
    #[serde(default)]
    pub skip: u32,
    /// Page size (1-1000, default 1000); `X-Total-Count` has the total.
    #[serde(default = "default_limit")]
    #[param(minimum = 1, maximum = 1000, default = 1000)]
    pub limit: u32,
}

impl PageParams {
    /// `(skip, limit)`, once the page size is checked (422 naming `limit` otherwise).
    pub fn checked(self) -> Result<(u32, u32), ApiError> {
        if self.limit == 0 || self.limit > 1000 {
            return Err(ApiError::field(&["query", "limit"], "must be between 1 and 1000"));
        }
        Ok((self.skip, self.limit))
    }
}

/// `X-Total-Count` for paginated lists (the answer's side of [`ListParams`]).
pub fn total_header(total: i64) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-total-count", HeaderValue::from(total));
    h
}

#[cfg(test)]
mod merge_tests {
    use serde_json::json;

    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Spec {
        name: String,
        #[serde(default)]
        note: Option<String>,
        #[serde(default = "yes")]
        enabled: bool,
        #[serde(alias = "limits_config")]
        limits: Limits,
    }
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Limits {
        a: u32,
        #[serde(default)]
        b: Option<u32>,
    }
    fn yes() -> bool {
        true
    }

    /// The stored object the update tests start from, and the original API's name for
    /// `limits`.
    fn stored() -> Spec {
        Spec { name: "x".into(), note: Some("n".into()), enabled: false, limits: Limits { a: 1, b: Some(2) } }
    }
    const ALIASES: [(&str, &str); 1] = [("limits_config", "limits")];

    #[test]
    fn merge_patches_change_only_what_they_name() {
        let (cur, al) = (stored(), ALIASES);
        let got: Spec = merge_patch(&cur, br#"{"limits_config": {"a": 5}}"#, &al, Update::Merge).unwrap();
        assert_eq!(
            got,
            Spec { name: "x".into(), note: Some("n".into()), enabled: false, limits: Limits { a: 5, b: Some(2) } }
        );
        let got: Spec = merge_patch(&cur, br#"{"note": null, "limits": {"b": null}}"#, &al, Update::Merge).unwrap();
        assert_eq!((got.note, got.limits.b, got.enabled), (None, None, false), "omitted enabled stays false");
        let e = merge_patch::<Spec>(&cur, br#"{"limits": {"a": -1}}"#, &al, Update::Merge).unwrap_err();
        match e {
            ApiError::Validation(errs) => assert_eq!(errs[0].loc, [json!("body"), json!("limits"), json!("a")]),
            other => panic!("{other:?}"),
        }
        assert!(merge_patch::<Spec>(&cur, b"[1]", &al, Update::Merge).is_err());
        assert!(
            merge_patch::<Spec>(&cur, br#"{"limits": {"a": 1}, "limits_config": {"a": 2}}"#, &al, Update::Merge)
                .is_err()
        );
        assert!(
            merge_patch::<Spec>(&cur, br#"{"name": null}"#, &al, Update::Merge).is_err(),
            "a required field cannot be cleared"
        );
    }

    #[test]
    fn integral_decimals_are_integers() {
        assert_eq!(integral_decimal("12.0"), Some("12"));
        assert_eq!(integral_decimal("-3.00"), Some("-3"));
        for s in ["12", "12.5", "1.", ".0", "-.0", "a.0", "1.0.0", ""] {
            assert_eq!(integral_decimal(s), None, "{s:?}");
        }
    }

    #[test]
    fn put_replaces_the_nested_objects_it_names() {
        let (cur, al) = (stored(), ALIASES);
        // The original client clears `b` by sending `limits` without it.
        let got: Spec = merge_patch(&cur, br#"{"limits_config": {"a": 5}}"#, &al, Update::Replace).unwrap();
        assert_eq!(got.limits, Limits { a: 5, b: None });
        assert_eq!((got.note.as_deref(), got.enabled), (Some("n"), false), "fields not named stay");
        let got: Spec = merge_patch(&cur, br#"{"note": null}"#, &al, Update::Replace).unwrap();
        assert_eq!((got.note, got.limits), (None, Limits { a: 1, b: Some(2) }));
        let e = merge_patch::<Spec>(&cur, br#"{"limits": {"b": 3}}"#, &al, Update::Replace).unwrap_err();
        assert!(matches!(e, ApiError::Validation(_)), "a replaced object must be whole: {e:?}");
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Q {
        #[allow(dead_code)]
        start: Option<String>,
    }

    async fn query<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
        let (mut parts, ()) = axum::http::Request::get(format!("/x?{q}")).body(()).unwrap().into_parts();
        AppQuery::<T>::from_request_parts(&mut parts, &()).await.map(|AppQuery(v)| v)
    }

    #[tokio::test]
    async fn a_declared_parameter_given_as_an_array_or_object_is_refused_others_are_ignored() {
        assert_eq!(struct_fields::<Q>(), ["start"]);
        for bad in ["start[]=2026-01-01", "start%5Bx%5D=1&start=2026-01-01"] {
            match query::<Q>(bad).await {
                Err(ApiError::Validation(e)) => assert_eq!(e[0].loc, ["query", "start"], "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(query::<Q>("other[x]=1&start=2026-01-01").await.is_ok(), "not a parameter of this operation");
        // A map (or flattened struct) declares no names: nothing is refused for them.
        assert!(query::<std::collections::HashMap<String, String>>("a[b]=1").await.is_ok());
    }
}
