use axum::http::Method;
use serde::Serialize;

/// What a procedure does, which fixes its HTTP method and how the client calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Reads; `GET /rpc/{name}?input=<json>`, so responses can be cached.
    Query,
    /// Writes; `POST /rpc/{name}` with a JSON body.
    Mutation,
    /// A stream of values; `GET /rpc/{name}?input=<json>` answered with server-sent events.
    Subscription,
}

impl Kind {
    /// `query`, `mutation` or `subscription`, as in the bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Query => "query",
            Kind::Mutation => "mutation",
            Kind::Subscription => "subscription",
        }
    }

    /// The HTTP method it is called with.
    pub(crate) fn method(self) -> Method {
        match self {
            Kind::Query | Kind::Subscription => Method::GET,
            Kind::Mutation => Method::POST,
        }
    }
}

/// Identity of the procedure being called, given to guards and put in the request
/// extensions for tower layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcedureMeta {
    /// The dotted name (`posts.list`).
    pub name: &'static str,
    /// Query, mutation or subscription.
    pub kind: Kind,
}

/// Procedure names are dot-separated identifiers (`posts.list`): they appear in URLs
/// unescaped and as TypeScript string keys.
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|segment| {
            let mut chars = segment.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::is_valid_name;

    #[test]
    fn names_are_dotted_identifiers() {
        assert!(is_valid_name("posts.list"));
        assert!(is_valid_name("health"));
        assert!(is_valid_name("a.b_c.d2"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("posts."));
        assert!(!is_valid_name(".posts"));
        assert!(!is_valid_name("posts/list"));
        assert!(!is_valid_name("2fa.verify"));
        assert!(!is_valid_name("_batch"));
    }
}
