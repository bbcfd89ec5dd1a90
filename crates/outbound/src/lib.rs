//! The outbound policy: every connection MarchProxy opens to an address an operator (or
//! anyone with write access) configured goes through it: health probes (TCP, HTTP(S),
//! ICMP), span search in Jaeger/Zipkin, span exporters and test spans, the license server.
//! The proxy's own traffic to its upstreams and its calls to the control plane do not.
//!
//! Layout:
//! - [`policy`]: address classes, CIDR ranges, [`OutboundPolicy`] (allow/deny an address
//!   or a host name). No I/O.
//! - [`error`]: [`OutboundError`], whose messages are fit to show a viewer.
//! - [`net`]: resolving (checked after DNS), TCP connects, a URI connector for tonic.
//! - [`http`]: [`HttpClient`] (reqwest: no redirects, no environment proxies, the
//!   policy's resolver, literal hosts checked), [`http::read_limited`].
//! - [`summary`]: bounded error summaries (never a remote body or a URL); `text`: bounded
//!   text and I/O errors in words, which [`error`] uses too.
//! - [`config`]: [`OutboundArgs`], the flags and environment variables.
//!
//! Architecture invariant: this crate knows nothing of MarchProxy's other crates; they
//! build their outbound clients from it.
#![forbid(unsafe_code)]

pub mod config;
pub mod error;
pub mod http;
pub mod net;
pub mod policy;
pub mod summary;
mod text;

pub use config::{CidrList, OutboundArgs};
pub use error::{OutboundError, Refusal};
pub use http::{HttpClient, read_limited};
pub use net::PolicyConnector;
pub use policy::{AddrClass, Cidr, OutboundPolicy, Reason};
pub use summary::{bounded, summarize};
