//! Tests of the companion as a whole: the router without a socket, the upstream faults
//! from a stub on a real socket, the binary's serving, each product against the
//! sandbox, and the executable itself.
//! One test binary (one link) for all of them; every network test is bounded in time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod binary;
mod leptos;
mod ops;
mod products;
mod router;
mod service;
mod serving;
mod shared_limit;
mod stub;
mod support;
mod upstream;
