//! The web UI: built into the binary (release builds embed `web/dist`), or served from
//! `MARCHPROXY_WEB_DIR`. Unknown non-API paths get `index.html` (client-side routing).

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist"] // relative to this crate's manifest directory
#[allow_missing = true]
struct Assets;

const NOT_BUILT: &str = "<!doctype html><title>MarchProxy</title><h1>MarchProxy</h1>\
<p>The web UI is not built into this binary. Build it with <code>make web</code> (or <code>npm --prefix web run build</code>), \
or point <code>MARCHPROXY_WEB_DIR</code> at a built <code>web/dist</code>.</p><p>The API is at <a href=\"/api/v1/docs\">/api/v1/docs</a>.</p>";

/// Serve a UI file, falling back to `index.html`.
pub async fn serve(dir: Option<PathBuf>, uri: Uri) -> Response {
    let requested = uri.path().trim_start_matches('/');
    if requested.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(r) = file(&dir, if requested.is_empty() { "index.html" } else { requested }).await {
        return r;
    }
    // Requested paths with an extension are assets: a miss is a 404, not the app shell.
    if requested.rsplit('/').next().is_some_and(|last| last.contains('.')) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match file(&dir, "index.html").await {
        Some(r) => r,
        None => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], NOT_BUILT).into_response(),
    }
}

async fn file(dir: &Option<PathBuf>, path: &str) -> Option<Response> {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let data: Vec<u8> = match dir {
        Some(d) => tokio::fs::read(d.join(path)).await.ok()?,
        None => Assets::get(path)?.data.into_owned(),
    };
    let mut resp = Response::new(Body::from(data));
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    let cache = if path.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded UI is the built `web/dist` (`make test` builds it before the Rust tests).
    /// A folder path rust-embed cannot resolve would silently embed nothing (`allow_missing`),
    /// and `make run` would serve no UI.
    #[tokio::test]
    async fn the_built_ui_is_what_gets_embedded_and_served() {
        let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist/index.html");
        assert_eq!(Assets::get("index.html").is_some(), dist.exists(), "embedded UI vs {}", dist.display());
        if dist.exists() {
            let resp = serve(None, Uri::from_static("/multi-cloud")).await;
            assert_eq!(resp.status(), StatusCode::OK);
            let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
            assert_eq!(&body[..], &std::fs::read(&dist).unwrap()[..], "client routes get index.html");
        }
    }

    /// Without a built UI the root and client routes explain how to build it; assets 404.
    #[tokio::test]
    async fn an_unbuilt_ui_says_how_to_build_it() {
        let empty = std::env::temp_dir().join(format!("marchproxy-no-ui-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        for path in ["/", "/multi-cloud"] {
            let resp = serve(Some(empty.clone()), Uri::from_static(path)).await;
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
            assert_eq!(&body[..], NOT_BUILT.as_bytes(), "{path}");
        }
        let resp = serve(Some(empty.clone()), Uri::from_static("/assets/app.js")).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let _ = std::fs::remove_dir(&empty);
    }
}
