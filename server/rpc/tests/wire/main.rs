//! The procedure layer over real HTTP on loopback, against a test-only context: one module
//! per concern over the shared harness in `support`.

mod batch;
mod cache;
mod calls;
mod connections;
mod cookies;
mod errors;
mod forms;
mod origins;
mod rate_limits;
mod support;
