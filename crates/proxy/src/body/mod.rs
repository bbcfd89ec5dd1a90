//! The bodies of the proxy path, all streamed, never buffered whole. A request's bytes go
//! client → [`crate::codec::ClientBody`] → [`request::ReqBody`] → upstream, and the
//! answer's go upstream → [`crate::upstream::response::UpBody`] → [`response::RespBody`] →
//! client. On the way each passes through two wrappers: [`shaped::Shaped`] (the service's
//! QoS policy grants every chunk) and [`counting::Counting`] (the endpoint's byte counters).
//!
//! The files import each other by their own paths (this module re-exports nothing), so the
//! request side never depends on the response side.

pub mod counting;
pub mod request;
pub mod response;
pub mod shaped;
