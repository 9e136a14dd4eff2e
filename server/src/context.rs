//! What every procedure receives: the application state and, per request, what the request
//! says about its caller. Built by an ordinary axum extractor.

use std::sync::Arc;

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{procedures::newsletter::Subscribers, rpc::Never};

/// Shared by all requests; cheap to clone.
#[derive(Clone, Default)]
pub struct AppState {
    pub subscribers: Arc<Subscribers>,
}

/// The context of one call.
#[derive(Clone)]
pub struct Ctx {
    pub state: AppState,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Never;

    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Ctx { state: state.clone() })
    }
}
