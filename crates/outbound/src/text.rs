//! Bounded text, and I/O errors in words: the pieces of summaries that the error type and
//! the summaries both use.

use std::io;

/// `s`, cut to at most `max` characters (an ellipsis marks a cut).
pub fn bounded(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some(_) => {
            let cut: String = s.chars().take(max.saturating_sub(1)).collect();
            format!("{cut}…")
        }
    }
}

/// A summary of an I/O error: its kind in words, else its message.
pub fn io_summary(e: &io::Error) -> String {
    match io_kind(e.kind()) {
        Some(s) => s.into(),
        None => bounded(&e.to_string(), 120),
    }
}

pub(crate) fn io_kind(kind: io::ErrorKind) -> Option<&'static str> {
    use io::ErrorKind as K;
    Some(match kind {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset",
        K::ConnectionAborted => "connection aborted",
        K::TimedOut => "timed out",
        K::HostUnreachable => "host unreachable",
        K::NetworkUnreachable => "network unreachable",
        K::AddrNotAvailable => "address not available",
        K::UnexpectedEof => "connection closed early",
        K::BrokenPipe => "connection closed",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_on_characters() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "ab…");
        assert_eq!(bounded("ééééé", 4).chars().count(), 4);
    }
}
