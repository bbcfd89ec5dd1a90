//! Request paths as the upstream will see them. Dot-segments (`.` and `..`, also written
//! with percent-encoded dots such as `%2e%2E`) are resolved before routing (RFC 3986
//! §5.2.4), and the resolved path is the one forwarded, so `/public/../admin` is routed, and
//! sent, as `/admin`. What cannot be resolved safely is refused: a `..` that would climb
//! above the root, and a segment that hides a dot-segment behind an encoded or backslash
//! separator (`..%2f`, `%2e%2e%5c`, `..\`), which some upstreams decode into one.
//! Everything else (other percent-encodings, repeated slashes) is left as the client sent it.

use std::borrow::Cow;

/// Why a path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// More `..` segments than there are segments to remove.
    AboveRoot,
    /// `..` beside an encoded slash or a backslash in one segment.
    HiddenSeparator,
}

/// The path to route and forward: `path` itself when it has nothing to resolve (no
/// allocation), the resolved path otherwise.
pub fn normalize(path: &str) -> Result<Cow<'_, str>, Refused> {
    if !path.starts_with('/') || !needs_work(path.as_bytes()) {
        return Ok(Cow::Borrowed(path));
    }
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path[1..].split('/').collect();
    let last = segments.len() - 1;
    // A path ending in a dot-segment ends with a slash once resolved (`/a/b/..` → `/a/`).
    let mut trailing_slash = false;
    for (i, seg) in segments.iter().enumerate() {
        match dots(seg) {
            Some(1) => trailing_slash = i == last,
            Some(2) => {
                if out.pop().is_none() {
                    return Err(Refused::AboveRoot);
                }
                trailing_slash = i == last;
            }
            _ => {
                if hides_separator(seg) {
                    return Err(Refused::HiddenSeparator);
                }
                out.push(seg);
            }
        }
    }
    let mut resolved = String::with_capacity(path.len());
    for seg in &out {
        resolved.push('/');
        resolved.push_str(seg);
    }
    if trailing_slash || resolved.is_empty() {
        resolved.push('/');
    }
    Ok(if resolved == path { Cow::Borrowed(path) } else { Cow::Owned(resolved) })
}

/// Whether the path may hold a dot-segment or hide one (no allocation): `/.`, `..`, an
/// encoded dot (`%2e`) or a backslash anywhere.
fn needs_work(p: &[u8]) -> bool {
    p.contains(&b'\\')
        || p.windows(2).any(|w| w == b"/." || w == b"..")
        || p.windows(3).any(|w| w[0] == b'%' && w[1] == b'2' && w[2].eq_ignore_ascii_case(&b'e'))
}

/// The number of dots when the segment is `.` or `..`, written with `.` or `%2e` in any case.
fn dots(seg: &str) -> Option<usize> {
    let b = seg.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if b[i] == b'.' {
            i += 1;
        } else if b.len() - i >= 3 && b[i] == b'%' && b[i + 1] == b'2' && b[i + 2].eq_ignore_ascii_case(&b'e') {
            i += 3;
        } else {
            return None;
        }
        n += 1;
    }
    (n == 1 || n == 2).then_some(n)
}

/// A segment with `..` (plain or encoded) and a separator an upstream might decode: `%2f`,
/// `%5c` or `\`.
fn hides_separator(seg: &str) -> bool {
    let lower = seg.to_ascii_lowercase();
    let dotted = lower.replace("%2e", ".");
    dotted.contains("..") && (lower.contains("%2f") || lower.contains("%5c") || lower.contains('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_resolved_before_routing() {
        for (raw, want) in [
            ("/public/../admin", "/admin"),
            ("/public/%2e%2e/admin", "/admin"),
            ("/public/%2E./admin", "/admin"),
            ("/a/./b/.%2e/c", "/a/c"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/a/..", "/"),
            ("/./", "/"),
        ] {
            assert_eq!(normalize(raw).unwrap(), want, "{raw}");
        }
    }

    #[test]
    fn ordinary_paths_are_left_alone_without_allocating() {
        for p in ["/", "/index.html", "/.well-known/acme", "/a..b/c", "/a/...", "/api%2Fv1/x", "//double//slash", "*"] {
            assert!(matches!(normalize(p), Ok(Cow::Borrowed(q)) if q == p), "{p}");
        }
    }

    #[test]
    fn paths_that_cannot_be_resolved_safely_are_refused() {
        assert_eq!(normalize("/../etc/passwd"), Err(Refused::AboveRoot));
        assert_eq!(normalize("/a/../../b"), Err(Refused::AboveRoot));
        for p in
            ["/public/..%2fadmin", "/public/%2e%2e%2Fadmin", "/public%2f..%2fadmin", "/public/..%5cadmin", "/a/..\\b"]
        {
            assert_eq!(normalize(p), Err(Refused::HiddenSeparator), "{p}");
        }
    }
}
