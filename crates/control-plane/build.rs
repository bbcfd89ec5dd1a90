//! Rebuild when the web UI is built or rebuilt: release builds embed `web/dist` (web.rs),
//! and a binary built before the UI existed would otherwise keep serving none.
fn main() {
    let dist = std::path::Path::new("../../web/dist");
    // A missing path would make every build rerun this script and recompile the crate;
    // until the UI is built, watch the web directory in which `dist` will appear instead.
    let watched = if dist.exists() { "../../web/dist" } else { "../../web" };
    println!("cargo:rerun-if-changed={watched}");
}
