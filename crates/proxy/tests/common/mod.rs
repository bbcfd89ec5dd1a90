//! The proxy tests' harness: `marchproxy-test-support` (a real control plane, a fake
//! controller, upstreams posing as regions, proxies, fixtures).
#![allow(unused_imports)]

pub use marchproxy_test_support::*;
