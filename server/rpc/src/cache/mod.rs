//! Server-side caching of query results with time-based revalidation and tags (Next.js's
//! `fetch(…, { next: { revalidate, tags } })` and `revalidateTag`).
//!
//! A cached query's result is kept per procedure, input and — for `per_viewer` queries —
//! the caller's [`CacheScope`]. Past its interval the stale result is still served while one
//! background refresh runs (stale-while-revalidate, single flight); concurrent misses share
//! one computation too. `revalidate_tag` drops every result carrying the tag at once, so the
//! next read sees the write (read-your-writes); results computed across an invalidation are
//! never served as fresh. Observers (`on_revalidate`) carry invalidations to other processes.

mod policy;
mod store;

pub use policy::{CacheScope, Revalidate};
pub use store::{CacheStats, ResponseCache};
pub(crate) use store::{Entry, Keep, Key};
