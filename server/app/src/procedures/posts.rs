//! The blog: published posts for everyone (cached, revalidated the moment an author changes
//! one), and writing, publishing and deleting for signed-in authors.

use std::{collections::BTreeMap, time::Duration};

use axum::http::StatusCode;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use db::{Client, DbError, Include, Post, SortOrder, post, tag, user};
use isthmus_db_runtime::chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rpc::{FieldErrors, Internal, ProcedureError, Revalidate, Valid};
use serde::{Deserialize, Serialize};
use specta::Type;
use validator::Validate;

use crate::{
    blog::markdown,
    context::{AuthorCtx, Ctx},
    procedures::auth::require_author,
};

/// Cache tag of every list of posts; each post's page is also tagged `post:<slug>`.
const POSTS: &str = "posts";

/// Cached pages are fresh for this long; any change by an author revalidates them at once.
const FRESH_FOR: Duration = Duration::from_secs(60);

/// The length of a list item's excerpt, in characters.
pub const EXCERPT_CHARS: usize = 200;

fn post_tag_of(slug: &str) -> String {
    format!("post:{slug}")
}

pub fn router() -> rpc::Router<Ctx> {
    let public = rpc::Router::new()
        .cached_query("posts.list", list, Revalidate::every(FRESH_FOR).tags(|_| vec![POSTS.into()]))
        .cached_query(
            "posts.bySlug",
            by_slug,
            Revalidate::every(FRESH_FOR).tags(|input: &BySlug| vec![POSTS.into(), post_tag_of(&input.slug)]),
        );
    let authors = rpc::Router::new()
        .query("posts.mine", mine)
        .query("posts.draft", draft)
        .mutation("posts.create", create)
        .mutation("posts.update", update)
        .mutation("posts.publish", publish)
        .mutation("posts.unpublish", unpublish)
        .mutation("posts.delete", delete)
        // A mutation only because a draft's body (up to 100 KB) does not fit in a URL.
        .mutation("posts.preview", preview)
        .guard(require_author);
    public.merge(authors)
}

/// Who wrote a post.
#[derive(Clone, Debug, Serialize, Type)]
pub struct AuthorRef {
    pub id: i32,
    pub name: String,
}

/// A post in a list: never its body.
#[derive(Clone, Debug, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PostSummary {
    pub id: i32,
    pub title: String,
    pub slug: String,
    /// ISO 8601, UTC.
    pub published_at: String,
    pub excerpt: String,
    pub tags: Vec<String>,
    pub author: AuthorRef,
}

/// One page of posts, newest first, and the cursor of the next (`null` on the last page).
#[derive(Clone, Debug, Serialize, Type)]
pub struct PostPage {
    pub items: Vec<PostSummary>,
    pub next: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Type, Validate)]
pub struct ListPosts {
    /// How many posts, 1 to 100 (default 20).
    #[serde(default)]
    #[specta(optional)]
    #[validate(range(min = 1, max = 100, message = "Ask for 1 to 100 posts."))]
    pub take: Option<u32>,
    /// The `next` of the previous page.
    #[serde(default)]
    #[specta(optional)]
    pub after: Option<String>,
    /// Only posts with this tag.
    #[serde(default)]
    #[specta(optional)]
    pub tag: Option<String>,
}

/// A published post with its body rendered to sanitized HTML.
#[derive(Clone, Debug, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PostDetail {
    pub id: i32,
    pub title: String,
    pub slug: String,
    pub published_at: String,
    /// The start of the text, for the page's description.
    pub excerpt: String,
    pub html: String,
    pub tags: Vec<String>,
    pub author: AuthorRef,
}

#[derive(Clone, Debug, Deserialize, Type)]
pub struct BySlug {
    pub slug: String,
}

/// A post as its author sees it in the dashboard.
#[derive(Clone, Debug, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OwnPost {
    pub id: i32,
    pub title: String,
    pub slug: String,
    pub published: bool,
    pub published_at: Option<String>,
    pub updated_at: String,
    pub tags: Vec<String>,
}

/// A post with its markdown, for the editor.
#[derive(Clone, Debug, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    pub id: i32,
    pub title: String,
    pub slug: String,
    pub body: String,
    pub published: bool,
    pub tags: Vec<String>,
}

/// What an author writes; checked before the procedure runs.
#[derive(Clone, Debug, Deserialize, Type, Validate)]
pub struct PostInput {
    #[serde(deserialize_with = "rpc::trimmed")]
    #[specta(type = String)]
    #[validate(length(min = 1, max = 200, message = "Enter a title of 1 to 200 characters."))]
    pub title: String,
    #[serde(deserialize_with = "rpc::trimmed")]
    #[specta(type = String)]
    #[validate(custom(
        function = "valid_slug",
        message = "Use 1 to 100 lowercase letters, digits and single hyphens."
    ))]
    pub slug: String,
    #[validate(length(max = 100_000, message = "Keep the body under 100 KB."))]
    pub body: String,
    /// Tag names; a comma-separated string from a form is split.
    #[serde(default, deserialize_with = "tag_list")]
    #[specta(type = Vec<String>)]
    #[validate(length(max = 10, message = "Use at most 10 tags."), custom(function = "valid_tags"))]
    pub tags: Vec<String>,
}

/// A post's id and its new content, on the wire side by side (`{ id, title, … }`).
#[derive(Clone, Debug, Deserialize, Type)]
pub struct UpdatePost {
    pub id: i32,
    #[serde(flatten)]
    pub post: PostInput,
}

/// The content's rules, with the fields' own paths (they are flattened on the wire).
impl Validate for UpdatePost {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        self.post.validate()
    }
}

#[derive(Clone, Debug, Deserialize, Type, Validate)]
pub struct PreviewInput {
    #[validate(length(max = 100_000, message = "Keep the body under 100 KB."))]
    pub body: String,
}

/// A draft's body as readers would see it.
#[derive(Clone, Debug, Serialize, Type)]
pub struct Preview {
    pub html: String,
}

#[derive(Clone, Debug, Deserialize, Type)]
pub struct PostId {
    pub id: i32,
}

fn valid_slug(slug: &str) -> Result<(), validator::ValidationError> {
    let well_formed = (1..=100).contains(&slug.len())
        && slug
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    well_formed.then_some(()).ok_or_else(|| validator::ValidationError::new("slug"))
}

fn valid_tags(tags: &[String]) -> Result<(), validator::ValidationError> {
    let each_fits = tags.iter().all(|tag| (1..=30).contains(&tag.chars().count()));
    each_fits.then_some(()).ok_or_else(|| {
        validator::ValidationError::new("tags").with_message("Keep each tag to 1 to 30 characters.".into())
    })
}

/// Tags from JSON (`["rust", "web"]`) or a form field (`rust, web`), trimmed, lowercased, without
/// duplicates.
fn tag_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Tags {
        List(Vec<String>),
        Text(String),
    }
    let raw = match Tags::deserialize(deserializer)? {
        Tags::List(list) => list,
        Tags::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    let mut tags: Vec<String> = raw.iter().map(|tag| tag.trim().to_lowercase()).filter(|tag| !tag.is_empty()).collect();
    let mut seen = std::collections::HashSet::new();
    tags.retain(|tag| seen.insert(tag.clone()));
    Ok(tags)
}

#[derive(Debug, Serialize, Type)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PostsError {
    /// No published post has this slug, or no post this id.
    NotFound,
    /// The post is another author's (403).
    Forbidden,
    /// The `after` cursor is not one this server handed out.
    InvalidCursor,
    /// A rule that needs the database failed: messages per field, like a validation error.
    Invalid { fields: FieldErrors },
    #[serde(skip)]
    Internal(Internal),
}

impl ProcedureError for PostsError {
    const STATUSES: &'static [StatusCode] =
        &[StatusCode::BAD_REQUEST, StatusCode::FORBIDDEN, StatusCode::NOT_FOUND, StatusCode::UNPROCESSABLE_ENTITY];

    fn status(&self) -> StatusCode {
        match self {
            PostsError::NotFound => StatusCode::NOT_FOUND,
            PostsError::Forbidden => StatusCode::FORBIDDEN,
            PostsError::InvalidCursor => StatusCode::BAD_REQUEST,
            PostsError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            PostsError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn internal(&self) -> Option<&Internal> {
        match self {
            PostsError::Internal(internal) => Some(internal),
            _ => None,
        }
    }
}

impl From<DbError> for PostsError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound { .. } => PostsError::NotFound,
            other => PostsError::Internal(other.into()),
        }
    }
}

/// How instants cross the wire: ISO 8601 in UTC, to the millisecond.
pub fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A keyset cursor: the last post's publication instant and id.
pub fn encode_cursor(published_at: DateTime<Utc>, id: i32) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", published_at.timestamp_millis()))
}

fn decode_cursor(cursor: &str) -> Option<(DateTime<Utc>, i32)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (millis, id) = text.split_once(':')?;
    Some((Utc.timestamp_millis_opt(millis.parse().ok()?).single()?, id.parse().ok()?))
}

/// The tag names of each post, by post id (one query for any number of posts).
async fn tags_of(db: &db::Db, posts: &[Post]) -> Result<BTreeMap<i32, Vec<String>>, DbError> {
    let ids: Vec<i32> = posts.iter().map(|post| post.id).collect();
    let rows = db.post().find_many(vec![post::id().in_vec(ids)]).select(post::id()).include(tag_names()).exec().await?;
    Ok(rows.into_iter().map(|(id, names)| (id, sorted(names))).collect())
}

/// The names of a post's tags, in no order: callers sort them with [`sorted`]. Sorting a
/// post's few names here costs less than an `ORDER BY` in the include's query (about 70,000
/// instructions per `posts.list` page on SQLite: `npm run bench:posts-instructions`), and
/// orders them alike on both backends (by bytes, not by a PostgreSQL collation).
fn tag_names() -> impl Include<Post, Output = Vec<String>> {
    post::tags().select(tag::name())
}

/// Tag names in byte order.
fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort_unstable();
    names
}

/// `posts.list`; public for the benchmark, which also serves it uncached.
pub async fn list(ctx: Ctx, Valid(input): Valid<ListPosts>) -> Result<PostPage, PostsError> {
    let db = &ctx.state.db;
    let take = input.take.unwrap_or(20);
    // A published post always has a date; saying so keeps the keyset and the page size exact.
    let mut filters = vec![post::published().equals(true), post::published_at().not(None)];
    if let Some(cursor) = &input.after {
        let (at, id) = decode_cursor(cursor).ok_or(PostsError::InvalidCursor)?;
        filters.push(db::or(vec![
            post::published_at().lt(Some(at)),
            db::and(vec![post::published_at().equals(Some(at)), post::id().lt(id)]),
        ]));
    }
    if let Some(name) = &input.tag {
        filters.push(post::tags().some(vec![tag::name().equals(name.to_lowercase())]));
    }
    // Only the columns a list item shows: never the author's account fields.
    let author = post::author().select((user::id(), user::name()));
    let page = db
        .post()
        .find_many(filters)
        .order_by(post::published_at().order(SortOrder::Desc))
        .order_by(post::id().order(SortOrder::Desc))
        .select((post::id(), post::title(), post::slug(), post::published_at(), post::body()))
        .include((author, tag_names()))
        .page(u64::from(take))
        .await?;
    let next = page
        .more
        .then(|| page.items.last())
        .flatten()
        .and_then(|((id, _, _, published_at, _), _)| Some(encode_cursor((*published_at)?, *id)));
    let items = page
        .items
        .into_iter()
        .filter_map(|((id, title, slug, published_at, body), ((author_id, author_name), tags))| {
            Some(PostSummary {
                id,
                published_at: iso(published_at?),
                excerpt: markdown::excerpt(&body, EXCERPT_CHARS),
                tags: sorted(tags),
                author: AuthorRef { id: author_id, name: author_name },
                title,
                slug,
            })
        })
        .collect();
    Ok(PostPage { items, next })
}

async fn by_slug(ctx: Ctx, input: BySlug) -> Result<PostDetail, PostsError> {
    let db = &ctx.state.db;
    let (found, ((author_id, author_name), tags)) = db
        .post()
        .find_first(vec![post::slug().equals(input.slug), post::published().equals(true)])
        .include((post::author().select((user::id(), user::name())), tag_names()))
        .first()
        .await?
        .ok_or(PostsError::NotFound)?;
    Ok(PostDetail {
        id: found.id,
        published_at: iso(found.published_at.ok_or(PostsError::NotFound)?),
        excerpt: markdown::excerpt(&found.body, EXCERPT_CHARS),
        html: markdown::to_html(&found.body),
        tags: sorted(tags),
        author: AuthorRef { id: author_id, name: author_name },
        title: found.title,
        slug: found.slug,
    })
}

async fn mine(ctx: AuthorCtx) -> Result<Vec<OwnPost>, PostsError> {
    let db = &ctx.state.db;
    let posts = db
        .post()
        .find_many(vec![post::author_id().equals(ctx.viewer.id)])
        .order_by(post::updated_at().order(SortOrder::Desc))
        .exec()
        .await?;
    let mut tags = tags_of(db, &posts).await?;
    Ok(posts.into_iter().map(|post| OwnPost::new(post, &mut tags)).collect())
}

/// The post `id` if the viewer may edit it.
async fn editable(ctx: &AuthorCtx, id: i32) -> Result<Post, PostsError> {
    let found =
        ctx.state.db.post().find_unique(post::UniqueWhere::Id(id)).first().await?.ok_or(PostsError::NotFound)?;
    if !ctx.may_edit(found.author_id) {
        return Err(PostsError::Forbidden);
    }
    Ok(found)
}

async fn draft(ctx: AuthorCtx, input: PostId) -> Result<Draft, PostsError> {
    let found = editable(&ctx, input.id).await?;
    let mut tags = tags_of(&ctx.state.db, std::slice::from_ref(&found)).await?;
    Ok(Draft {
        tags: tags.remove(&found.id).unwrap_or_default(),
        id: found.id,
        title: found.title,
        slug: found.slug,
        body: found.body,
        published: found.published,
    })
}

fn slug_taken() -> PostsError {
    PostsError::Invalid {
        fields: FieldErrors::from([("slug".to_owned(), vec!["Another post has this slug.".to_owned()])]),
    }
}

/// Replaces the tags of `post` with `names`, creating tags that do not exist yet.
pub async fn set_tags(db: &impl Client, post: &Post, names: &[String]) -> Result<(), DbError> {
    let mut tags = Vec::with_capacity(names.len());
    for name in names {
        tags.push(db.tag().upsert(tag::UniqueWhere::Name(name.clone()), tag::Create::new(name.clone()), vec![]).await?);
    }
    post::tags().set(db, post, &tags).await
}

async fn own_post(db: &db::Db, found: Post) -> Result<OwnPost, PostsError> {
    let mut tags = tags_of(db, std::slice::from_ref(&found)).await?;
    Ok(OwnPost::new(found, &mut tags))
}

impl OwnPost {
    /// `post` with its tags, taken from `tags` (by post id).
    fn new(post: Post, tags: &mut BTreeMap<i32, Vec<String>>) -> Self {
        OwnPost {
            tags: tags.remove(&post.id).unwrap_or_default(),
            published_at: post.published_at.map(iso),
            updated_at: iso(post.updated_at),
            id: post.id,
            title: post.title,
            slug: post.slug,
            published: post.published,
        }
    }
}

/// Revalidates every list and the pages of `slugs`, here and in other processes.
fn revalidate(ctx: &AuthorCtx, slugs: &[&str]) {
    ctx.state.cache.revalidate_tag(POSTS);
    for slug in slugs {
        ctx.state.cache.revalidate_tag(&post_tag_of(slug));
    }
}

/// A unique violation on a post is its slug's.
fn slug_or_other(error: DbError) -> PostsError {
    match error {
        DbError::UniqueViolation { .. } => slug_taken(),
        other => other.into(),
    }
}

async fn create(ctx: AuthorCtx, Valid(input): Valid<PostInput>) -> Result<OwnPost, PostsError> {
    let db = &ctx.state.db;
    let author = ctx.viewer.id;
    // The post and its tags together, or neither.
    let created = db
        .transaction(|tx| async move {
            let create = post::Create::new(input.slug, input.title, input.body, author);
            let created = tx.post().create(create).await.map_err(slug_or_other)?;
            set_tags(&tx, &created, &input.tags).await?;
            Ok::<_, PostsError>(created)
        })
        .await?;
    own_post(db, created).await
}

async fn update(ctx: AuthorCtx, Valid(input): Valid<UpdatePost>) -> Result<OwnPost, PostsError> {
    let db = &ctx.state.db;
    let before = editable(&ctx, input.id).await?;
    let (id, content) = (before.id, input.post);
    let set = vec![post::title().set(content.title), post::slug().set(content.slug), post::body().set(content.body)];
    // The post and its tags together, or neither.
    let updated = db
        .transaction(|tx| async move {
            let updated = tx.post().update(post::UniqueWhere::Id(id), set).await.map_err(slug_or_other)?;
            set_tags(&tx, &updated, &content.tags).await?;
            Ok::<_, PostsError>(updated)
        })
        .await?;
    revalidate(&ctx, &[&before.slug, &updated.slug]);
    own_post(db, updated).await
}

async fn set_published(ctx: AuthorCtx, id: i32, published: bool) -> Result<OwnPost, PostsError> {
    let found = editable(&ctx, id).await?;
    let published_at = match (published, found.published_at) {
        (false, _) => None,
        (true, Some(first)) => Some(first),
        (true, None) => Some(Utc::now()),
    };
    let set = vec![post::published().set(published), post::published_at().set(published_at)];
    let updated = ctx.state.db.post().update(post::UniqueWhere::Id(found.id), set).await?;
    revalidate(&ctx, &[&updated.slug]);
    own_post(&ctx.state.db, updated).await
}

async fn publish(ctx: AuthorCtx, input: PostId) -> Result<OwnPost, PostsError> {
    set_published(ctx, input.id, true).await
}

async fn unpublish(ctx: AuthorCtx, input: PostId) -> Result<OwnPost, PostsError> {
    set_published(ctx, input.id, false).await
}

async fn preview(_: AuthorCtx, Valid(input): Valid<PreviewInput>) -> Result<Preview, PostsError> {
    Ok(Preview { html: markdown::to_html(&input.body) })
}

async fn delete(ctx: AuthorCtx, input: PostId) -> Result<(), PostsError> {
    let found = editable(&ctx, input.id).await?;
    ctx.state.db.post().delete(post::UniqueWhere::Id(found.id)).await?;
    revalidate(&ctx, &[&found.slug]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let at = Utc.timestamp_millis_opt(1_764_000_000_123).unwrap();
        assert_eq!(decode_cursor(&encode_cursor(at, 42)), Some((at, 42)));
        assert_eq!(decode_cursor("not-a-cursor"), None);
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_hyphens() {
        assert!(valid_slug("hello-isthmus-2").is_ok());
        for bad in ["", "Hello", "a--b", "-a", "a-", "a b", "ü"] {
            assert!(valid_slug(bad).is_err(), "{bad:?}");
        }
    }
}
