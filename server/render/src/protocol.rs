//! The JSON a render step exchanges with the bundle (see the crate documentation).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// What the bundle's `render` receives.
#[derive(Serialize)]
pub(crate) struct RenderInput<'a> {
    pub(crate) url: &'a str,
    /// The site's public origin.
    pub(crate) origin: &'a str,
    pub(crate) results: &'a [QueryResult],
}

/// A query's answer, as `GET /rpc/{name}` would have given it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct QueryResult {
    #[serde(flatten)]
    pub(crate) call: QueryCall,
    pub(crate) status: u16,
    pub(crate) body: Box<RawValue>,
    /// Its cache tags when the result is cached; not sent to the bundle.
    #[serde(skip)]
    pub(crate) cached: Option<Vec<String>>,
}

/// A query the render waits for: a procedure name and its input as JSON text (`None`: no
/// input), the bytes the browser would send as `?input=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct QueryCall {
    pub(crate) name: String,
    pub(crate) input: Option<String>,
}

/// What `render` resolves to once it has all its data.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum Rendered {
    /// A page: the app's markup for the root element, tags for `<head>`, and the dehydrated
    /// query state (JSON text) the browser resumes from.
    Page {
        status: u16,
        html: String,
        head: String,
        state: String,
        /// Seconds the page stays fresh, as the route declares; `None`: never cached.
        revalidate: Option<u64>,
    },
    /// A route redirected (`location` a path on this site).
    Redirect { status: u16, location: String },
}
