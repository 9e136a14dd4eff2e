//! Server-side rendering for an Isthmus web app, inside the server process: no Node at run
//! time.
//!
//! A page request becomes a few *render steps* in QuickJS ([`Engine`]: worker threads, each
//! with its own runtime, the app's server bundle loaded from bytecode, a deadline and a memory
//! limit per step). The bundle is an ES module exporting two functions:
//!
//! - `render(input: string): Promise<string>` — `input` is
//!   `{"url":"/blog?tag=rust","origin":"https://example.com","results":[…]}`. The bundle builds
//!   the app for the URL and loads its routes; every query a route needs is answered from
//!   `results` (`{"name","input","status","body"}`: what `GET /rpc/{name}?input=…` would have
//!   answered). A query not among them leaves the promise pending.
//! - `pendingQueries(): string` — the queries the pending render waits for, as
//!   `[{"name":"posts.list","input":"{}"}]` (`input`: JSON text, or `null` for none).
//!
//! The host drains QuickJS's job queue after calling `render` (a render needs no event loop:
//! it finishes on promise jobs alone). If the promise settled, its value is the answer:
//! `{"kind":"page","status","html","head","state","revalidate"}` or
//! `{"kind":"redirect","status","location"}`. If it is still pending, the host asks
//! `pendingQueries`, runs those queries concurrently in-process with the request's context
//! (through the procedure layer's [`rpc::LocalQueries`] and its result cache), and calls
//! `render` again with their results: a page whose data depends on other data takes one step
//! per layer. Queries run in Rust, outside the worker: a worker never waits on the database.
//! The bindings' `@isthmus/bindings/ssr/server` implements this contract for a React app on
//! TanStack Router and TanStack Query.
//!
//! [`Pages`] is the axum handler around it: the page cache (HTML per URL and viewer, fresh for
//! the route's `revalidate`, then served stale while one background render replaces it, dropped
//! when a tag of its queries is revalidated in any process), the document ([`Template`]: the web
//! build's `index.html` with the head tags, the escaped query state and the markup), status
//! codes, same-site redirects, `ETag`/304, and the fallback: a render that throws, stalls,
//! runs out of time or memory answers the client shell (logged, counted; the worker is rebuilt).

mod document;
mod engine;
mod host;
mod page_cache;
mod pages;
mod protocol;

pub use document::{BODY_MARKER, HEAD_MARKER, STATE_ELEMENT_ID, Template, TemplateError};
pub use engine::{Engine, EngineConfig, EngineError, EngineStats, RenderError};
pub use page_cache::PageStats;
pub use pages::{Pages, PagesOptions};
