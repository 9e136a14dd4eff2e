//! The application's procedures: one module per domain, merged here.

pub mod newsletter;
pub mod system;

use crate::context::Ctx;

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new().merge(newsletter::router()).merge(system::router())
}
