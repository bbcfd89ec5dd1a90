//! Error summaries fit to show a viewer: what went wrong ("connection refused", "timed out",
//! "HTTP 503 Service Unavailable", a policy refusal), bounded in length, never a remote
//! response body nor the request URL (which may carry credentials).

use std::error::Error;
use std::io;

use crate::error::OutboundError;
use crate::text::io_kind;
pub use crate::text::{bounded, io_summary};

/// The longest summary [`summarize`] returns, in characters.
pub const MAX_SUMMARY_CHARS: usize = 200;

/// "HTTP 503 Service Unavailable": the code and its standard reason phrase (never the
/// remote's own phrase).
pub fn status(code: u16) -> String {
    match http::StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason()) {
        Some(reason) => format!("HTTP {code} {reason}"),
        None => format!("HTTP {code}"),
    }
}

/// The policy refusal somewhere in `e`'s chain of sources, if any.
pub fn find_refusal<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a OutboundError> {
    chain(e).find_map(|x| x.downcast_ref::<OutboundError>()).filter(|o| o.is_refused())
}

/// A summary of any error from an outbound request (reqwest, tonic, I/O, this crate's).
pub fn summarize(e: &(dyn Error + 'static)) -> String {
    bounded(&summarize_unbounded(e), MAX_SUMMARY_CHARS)
}

fn summarize_unbounded(e: &(dyn Error + 'static)) -> String {
    // Ours first: a refusal or a resolution failure says the most.
    if let Some(o) = chain(e).find_map(|x| x.downcast_ref::<OutboundError>()) {
        return o.to_string();
    }
    if chain(e).any(is_timeout) {
        return "timed out".into();
    }
    for x in chain(e) {
        if let Some(io) = x.downcast_ref::<io::Error>()
            && let Some(s) = io_kind(io.kind())
        {
            return s.into();
        }
    }
    let innermost = chain(e).last().map(|x| x.to_string()).unwrap_or_default();
    let what = match e.downcast_ref::<reqwest::Error>() {
        Some(r) if r.is_connect() => "connection failed",
        Some(r) if r.is_decode() || r.is_body() => "unreadable response",
        Some(r) if r.is_builder() => "invalid request",
        _ => "request failed",
    };
    // The innermost cause is a local library's message (TLS, protocol), not remote content;
    // reqwest's own message would name the URL, so it is never used.
    if innermost.is_empty() || e.downcast_ref::<reqwest::Error>().is_some_and(|_| chain(e).count() == 1) {
        what.into()
    } else {
        format!("{what}: {}", bounded(&innermost, 120))
    }
}

fn is_timeout(e: &(dyn Error + 'static)) -> bool {
    e.downcast_ref::<reqwest::Error>().is_some_and(reqwest::Error::is_timeout)
        || e.is::<tokio::time::error::Elapsed>()
        || e.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
}

/// `e` and its sources, looking inside I/O errors that wrap another error.
fn chain<'a>(e: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    let mut next = Some(e);
    std::iter::from_fn(move || {
        let cur = next?;
        next = match cur.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn Error + 'static)),
            None => cur.source(),
        };
        Some(cur)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_use_standard_phrases() {
        assert_eq!(status(503), "HTTP 503 Service Unavailable");
        assert_eq!(status(302), "HTTP 302 Found");
        assert_eq!(status(599), "HTTP 599");
    }

    #[test]
    fn io_errors_are_words_and_wrapped_refusals_are_found() {
        let e = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(summarize(&e), "connection refused");
        let refusal = OutboundError::Refused(crate::error::Refusal {
            host: "x".into(),
            resolved: None,
            reason: crate::policy::Reason::MetadataName,
        });
        let wrapped = io::Error::other(refusal);
        assert_eq!(summarize(&wrapped), "refused by outbound policy: x is a cloud metadata host name");
        assert!(find_refusal(&wrapped).is_some());
        let long = io::Error::other("x".repeat(1000));
        assert!(summarize(&long).chars().count() <= MAX_SUMMARY_CHARS);
    }
}
