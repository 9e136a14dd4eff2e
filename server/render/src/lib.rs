//! Server-side rendering for an Isthmus web app, inside the server process: no Node at run
//! time.
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
