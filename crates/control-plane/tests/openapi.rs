//! The committed OpenAPI document (`docs/openapi.json`) is the one the server publishes at
//! `/api/v1/openapi.json`. The web console generates its API types from that file
//! (`web/src/lib/api-schema.ts`, `npm run api:check`), so a handler change that is not
//! re-exported here fails this test. `UPDATE_OPENAPI=1 cargo test -p marchproxy-control-plane
//! --test openapi` rewrites the file.

use std::path::PathBuf;

#[test]
fn the_committed_openapi_document_is_current() {
    let current = marchproxy_control_plane::api::openapi::document_json();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &current).expect("write docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "docs/openapi.json is not the document the server publishes; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test -p marchproxy-control-plane --test openapi`, then \
         `cd web && npm run api:generate`"
    );
}
