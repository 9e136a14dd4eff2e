//! The newsletter's readers, for signed-in authors.

use axum::http::StatusCode;
use db::{Client, DbError, SortOrder, Subscriber, subscriber};
use rpc::{Internal, ProcedureError, Valid};
use serde::{Deserialize, Serialize};
use specta::Type;
use validator::Validate;

use crate::{
    context::{AuthorCtx, Ctx},
    procedures::auth::require_author,
};

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new().query("subscribers.list", list).guard(require_author)
}

#[derive(Clone, Debug, Deserialize, Type, Validate)]
pub struct ListSubscribers {
    /// How many, 1 to 100 (default 50).
    #[serde(default)]
    #[specta(optional)]
    #[validate(range(min = 1, max = 100, message = "Ask for 1 to 100 subscribers."))]
    pub take: Option<u32>,
    /// How many to pass over, newest first.
    #[serde(default)]
    #[specta(optional)]
    pub skip: Option<u32>,
}

/// One page of subscribers, newest first, and how many there are in all.
#[derive(Clone, Debug, Serialize, Type)]
pub struct SubscriberPage {
    pub items: Vec<Subscriber>,
    pub total: u32,
}

#[derive(Debug, Serialize, Type)]
pub struct SubscribersError(#[serde(skip)] Internal);

impl ProcedureError for SubscribersError {
    const STATUSES: &'static [StatusCode] = &[];

    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn internal(&self) -> Option<&Internal> {
        Some(&self.0)
    }
}

impl From<DbError> for SubscribersError {
    fn from(error: DbError) -> Self {
        SubscribersError(error.into())
    }
}

async fn list(ctx: AuthorCtx, Valid(input): Valid<ListSubscribers>) -> Result<SubscriberPage, SubscribersError> {
    let db = &ctx.state.db;
    let items = db
        .subscriber()
        .find_many(vec![])
        .order_by(subscriber::subscribed_at().order(SortOrder::Desc))
        .order_by(subscriber::id().order(SortOrder::Desc))
        .skip(u64::from(input.skip.unwrap_or(0)))
        .take(u64::from(input.take.unwrap_or(50)))
        .exec()
        .await?;
    let total = db.subscriber().count(vec![]).await?;
    Ok(SubscriberPage { items, total: u32::try_from(total).unwrap_or(u32::MAX) })
}
