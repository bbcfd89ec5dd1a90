//! OpenAPI schemas of fields whose rules an attribute cannot state in one line: the same
//! rules `validate()` enforces, for the published document (`docs/openapi.json`).

use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{KnownFormat, OneOfBuilder, RefOr, Schema, SchemaFormat};

// Patterns end in `(?!\n)$`: ECMA-262's `$` (what JSON Schema means) is the end of the
// string; Python's (what schemathesis and many validators run) also matches before a final
// newline, which the server refuses.

/// A required free-text name: not blank, no control characters (`ValidationErrors::text`).
const TEXT: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*\
    [^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]\
    [^\\u0000-\\u001f\\u007f-\\u009f]*(?!\\n)$";

fn text(max: usize) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(max)).pattern(Some(TEXT))
}

/// Names of clusters, services, policies, route tables, tracing configs (1-100 characters).
pub fn name() -> ObjectBuilder {
    text(100)
}

/// `Route.region` (1-64 characters).
pub fn region() -> ObjectBuilder {
    text(64)
}

/// A DNS label: letters, digits, `_` and `-`, not starting or ending with `-`, 1-63 long.
const LABEL: &str = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";

/// A port, 1-65535.
pub const PORT: &str = "(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";

/// A host name for URLs: dot-separated labels, the last one starting with a letter (a URL
/// host ending in a number must be an IPv4 address), or an IPv4 address.
const URL_HOST: &str = "(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\
    |(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))";

/// `Service.hostnames`: DNS names (optionally `*.`-prefixed, at most 253 characters) or IP
/// addresses; at most 64.
pub fn hostnames() -> ArrayBuilder {
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(253))
        .pattern(Some(format!("^(?:\\*\\.)?{LABEL}(?:\\.{LABEL})*(?!\\n)$")));
    let ipv6 =
        ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Ipv6)));
    ArrayBuilder::new().items(OneOfBuilder::new().item(name).item(ipv6)).max_items(Some(64)).description(Some(
        "Host names matched against the `Host` header (`*.example.com` wildcards allowed), or IP addresses.",
    ))
}

/// `TracingConfigSpec.custom_tags`: at most 64 tags, names 1-128 characters, values at most 1024.
pub fn custom_tags() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .max_properties(Some(64))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(128))
                .pattern(Some("\\S")),
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
            ObjectBuilder::new().schema_type(Type::String).max_length(Some(1024)).build(),
        )))))
}

/// An endpoint address: `scheme://host[:port][/path]` (http, https, grpc, grpcs), `tcp://host:port` or `host:port`.
pub fn endpoint_pattern() -> String {
    format!(
        "^(?:(?:https?|grpcs?)://{URL_HOST}(?::{PORT})?(?:/[A-Za-z0-9._~/-]*)?\
         |tcp://{URL_HOST}:{PORT}/?|{URL_HOST}:{PORT})(?!\\n)$"
    )
}

/// An `http://` or `https://` URL.
pub fn http_url_pattern() -> String {
    format!("^https?://{URL_HOST}(?::{PORT})?(?:/[A-Za-z0-9._~/-]*)?(?!\\n)$")
}

/// `Route.endpoint` and `TracingConfigSpec.endpoint`.
pub fn endpoint() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(255))
        .pattern(Some(endpoint_pattern()))
}

/// `TracingConfigSpec.query_url`.
pub fn http_url() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(255))
        .pattern(Some(http_url_pattern()))
}

/// `QosSample.delay_ms`: added delay per priority class P0-P3, `[p50_ms, p99_ms]`.
pub fn delay_ms() -> ArrayBuilder {
    let pair = ArrayBuilder::new()
        .items(
            ObjectBuilder::new().schema_type(Type::Number).format(Some(SchemaFormat::KnownFormat(KnownFormat::Double))),
        )
        .min_items(Some(2))
        .max_items(Some(2));
    ArrayBuilder::new()
        .items(pair)
        .min_items(Some(4))
        .max_items(Some(4))
        .description(Some("Added delay per priority class P0-P3: `[p50_ms, p99_ms]`."))
}
