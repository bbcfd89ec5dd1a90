//! Read buffers of finished upstream responses, kept per worker thread for the next
//! response to read into.
//!
//! An idle pooled connection holds no buffer (RSS at 1,000 connections), so every response
//! used to read into a new one: a 2 KiB allocation, a second when its head was split off
//! (`BytesMut`'s promotion to a shared buffer), and both freed once the client had the
//! body. A finished response's buffer now waits here instead. `BytesMut::reserve` takes
//! the allocation back in place when no split-off part of it is alive any more (the body
//! is usually written within the same turn); when one still is (a slow or shaped client),
//! it allocates as before. At most [`KEEP`] wait per thread.

use std::cell::RefCell;

use bytes::BytesMut;

/// Buffers kept per worker thread.
const KEEP: usize = 16;

thread_local! {
    static SPARE: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
}

/// Keep `buf` (empty; parts split off it may still be alive) for a later response.
pub(crate) fn put(buf: BytesMut) {
    debug_assert!(buf.is_empty());
    SPARE.with_borrow_mut(|s| {
        if s.len() < KEEP {
            s.push(buf);
        }
    });
}

/// A buffer to read a response into: the one put last, or a new, empty one.
pub(crate) fn take() -> BytesMut {
    SPARE.with_borrow_mut(Vec::pop).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_comes_back_in_place_once_its_parts_are_dropped() {
        let mut buf = BytesMut::with_capacity(2048);
        buf.extend_from_slice(&[7u8; 1500]);
        let head = buf.split_to(300).freeze();
        let body = buf.split().freeze();
        let base = head.as_ptr();
        put(buf);
        drop((head, body));
        let mut again = take();
        again.reserve(2048);
        assert_eq!(again.as_ptr(), base, "the same allocation, taken back");
        assert!(again.is_empty());
    }

    #[test]
    fn a_buffer_still_shared_is_not_written_over() {
        let mut buf = BytesMut::with_capacity(2048);
        buf.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\nbody");
        let body = buf.split().freeze();
        put(buf);
        let mut again = take();
        again.reserve(2048);
        again.extend_from_slice(&[0u8; 2048]);
        assert_ne!(again.as_ptr(), body.as_ptr());
        assert_eq!(&body[..], b"HTTP/1.1 200 OK\r\n\r\nbody");
    }

    #[test]
    fn at_most_keep_buffers_wait() {
        while SPARE.with_borrow_mut(Vec::pop).is_some() {}
        for _ in 0..KEEP + 5 {
            let mut b = BytesMut::with_capacity(64);
            b.extend_from_slice(b"x");
            let _ = b.split();
            put(b);
        }
        assert_eq!(SPARE.with_borrow(Vec::len), KEEP);
    }
}
