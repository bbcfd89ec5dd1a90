//! Request extractors whose rejections are our own [`ApiError`] shapes: malformed JSON,
//! wrong types, huge numbers and unknown enum values become 422 with the field's location.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use marchproxy_model::FieldError;
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

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::field(&["body"], format!("cannot read request body: {e}")))?;
        parse_json(&bytes).map(AppJson)
    }
}

/// An update as a JSON merge patch (RFC 7396) onto `current`'s JSON form: fields the body
/// names replace the stored ones (objects merge, `null` clears an optional field), fields
/// it omits keep their stored values. So a full object replaces, and a partial one (the
/// original MarchProxy client's all-optional `*Update` bodies) changes only what it names;
/// nothing is reset by being left out. `aliases` (`(alias, name)`) are renamed first, so
/// an alias and the stored name never meet. The result is parsed as a create body would be
/// (a bad field is a 422 naming it).
pub fn merge_patch<T: serde::Serialize + DeserializeOwned>(
    current: &T,
    body: &[u8],
    aliases: &[(&str, &str)],
) -> Result<T, ApiError> {
    let mut patch: serde_json::Value = parse_json(body)?;
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
    merge(&mut doc, patch);
    let bytes = serde_json::to_vec(&doc).map_err(|e| ApiError::Internal(e.into()))?;
    parse_json(&bytes)
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
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::field(&["body"], "a JSON body is required"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        let kind = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "value_error.jsondecode",
            _ => "type_error",
        };
        if kind == "value_error.jsondecode" {
            return ApiError::Validation(vec![FieldError {
                loc: vec!["body".into(), inner.column().into()],
                msg: format!("invalid JSON: {}", inner.to_string().split(" at line ").next().unwrap_or_default()),
                kind: kind.into(),
            }]);
        }
        ApiError::Validation(vec![field_error("body", e.path(), inner.to_string(), kind)])
    })
}

/// Query-string extractor.
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de).map(AppQuery).map_err(|e| {
            let msg = e.inner().to_string();
            let mut fe = field_error("query", e.path(), msg.clone(), "type_error");
            // serde_urlencoded names the bad field only in the message.
            if fe.loc.len() == 1
                && let Some(name) = msg.split('`').nth(1)
            {
                fe.loc.push(name.into());
            }
            ApiError::Validation(vec![fe])
        })
    }
}

/// An integer id in the path (`/things/{id}`).
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::field(&["path", "id"], "missing id"))?;
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => Ok(PathId(id)),
            _ => Err(ApiError::field(&["path", "id"], "must be a positive integer")),
        }
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
pub struct ListParams {
    pub cluster_id: Option<i64>,
    pub service_id: Option<i64>,
    #[serde(default)]
    pub enabled_only: bool,
    #[serde(default)]
    pub skip: u32,
    #[serde(default = "default_limit")]
    pub limit: u32,
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
        if self.limit == 0 || self.limit > 1000 {
            return Err(ApiError::field(&["query", "limit"], "must be between 1 and 1000"));
        }
        let ListParams { cluster_id, service_id, enabled_only, skip, limit } = self;
        Ok(ListFilter { cluster_id, service_id, enabled_only, skip, limit })
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

    #[test]
    fn merge_patches_change_only_what_they_name() {
        let cur =
            Spec { name: "x".into(), note: Some("n".into()), enabled: false, limits: Limits { a: 1, b: Some(2) } };
        let al = [("limits_config", "limits")];
        let got: Spec = merge_patch(&cur, br#"{"limits_config": {"a": 5}}"#, &al).unwrap();
        assert_eq!(
            got,
            Spec { name: "x".into(), note: Some("n".into()), enabled: false, limits: Limits { a: 5, b: Some(2) } }
        );
        let got: Spec = merge_patch(&cur, br#"{"note": null, "limits": {"b": null}}"#, &al).unwrap();
        assert_eq!((got.note, got.limits.b, got.enabled), (None, None, false), "omitted enabled stays false");
        let e = merge_patch::<Spec>(&cur, br#"{"limits": {"a": -1}}"#, &al).unwrap_err();
        match e {
            ApiError::Validation(errs) => assert_eq!(errs[0].loc, [json!("body"), json!("limits"), json!("a")]),
            other => panic!("{other:?}"),
        }
        assert!(merge_patch::<Spec>(&cur, b"[1]", &al).is_err());
        assert!(merge_patch::<Spec>(&cur, br#"{"limits": {"a": 1}, "limits_config": {"a": 2}}"#, &al).is_err());
        assert!(merge_patch::<Spec>(&cur, br#"{"name": null}"#, &al).is_err(), "a required field cannot be cleared");
    }
}
