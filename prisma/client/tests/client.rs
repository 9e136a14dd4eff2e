//! The generated client against real databases, the same suite on SQLite and PostgreSQL.

mod support;

use db::{Client, DbError, SortOrder, post, user};
use isthmus_db_runtime::chrono::{Duration, Utc};

async fn author(db: &db::Db, email: &str) -> db::User {
    db.user().create(user::Create::new(email, "Author", "argon2-hash")).await.unwrap()
}

async fn post_by(db: &db::Db, author: &db::User, slug: &str, published: bool) -> db::Post {
    let create =
        post::Create { published: Some(published), ..post::Create::new(slug, slug.to_uppercase(), "Body", author.id) };
    db.post().create(create).await.unwrap()
}

on_both_backends! {
    create_fills_defaults_and_find_unique_reads_back(test) {
        let db = &test.db;
        let before = Utc::now() - Duration::seconds(1);
        let ada = author(db, "ada@example.com").await;
        assert!(ada.id > 0);
        assert!(ada.created_at >= before && ada.created_at <= Utc::now() + Duration::seconds(1));
        let found = db.user().find_unique(user::UniqueWhere::Email("ada@example.com".into())).first().await.unwrap();
        assert_eq!(found, Some(ada.clone()));
        let missing = db.user().find_unique(user::UniqueWhere::Id(ada.id + 1000)).first().await.unwrap();
        assert_eq!(missing, None);
        let post = post_by(db, &ada, "hello", false).await;
        assert!(!post.published);
        assert_eq!(post.published_at, None);
        assert_eq!(post.created_at, post.updated_at);
    }

    filters_order_and_paginate(test) {
        let db = &test.db;
        let ada = author(db, "ada@example.com").await;
        let grace = author(db, "grace@navy.mil").await;
        for (i, slug) in ["a-first", "b-second", "c-third", "d_fourth%"].iter().enumerate() {
            post_by(db, if i % 2 == 0 { &ada } else { &grace }, slug, i < 3).await;
        }
        let slugs = |posts: Vec<db::Post>| posts.into_iter().map(|p| p.slug).collect::<Vec<_>>();

        let published = db.post().find_many(vec![post::published::equals(true)]).order_by(post::slug::order(SortOrder::Desc)).exec().await.unwrap();
        assert_eq!(slugs(published), ["c-third", "b-second", "a-first"]);
        let contains = db.post().find_many(vec![post::slug::contains("_")]).exec().await.unwrap();
        assert_eq!(slugs(contains), ["d_fourth%"], "LIKE wildcards in the needle are literal");
        let starts = db.post().find_many(vec![post::slug::starts_with("b-")]).exec().await.unwrap();
        assert_eq!(slugs(starts), ["b-second"]);
        let ends = db.post().find_many(vec![post::slug::ends_with("%")]).exec().await.unwrap();
        assert_eq!(slugs(ends), ["d_fourth%"]);
        let within = db.post().find_many(vec![post::slug::in_vec(vec!["a-first".into(), "c-third".into(), "zzz".into()])]).order_by(post::slug::order(SortOrder::Asc)).exec().await.unwrap();
        assert_eq!(slugs(within), ["a-first", "c-third"]);
        assert!(db.post().find_many(vec![post::slug::in_vec(vec![])]).exec().await.unwrap().is_empty());
        let either = db.post().find_many(vec![post::WhereParam::Or(vec![post::slug::equals("a-first"), post::slug::equals("d_fourth%")])]).order_by(post::id::order(SortOrder::Asc)).exec().await.unwrap();
        assert_eq!(slugs(either), ["a-first", "d_fourth%"]);
        let negated = db.post().find_many(vec![post::WhereParam::Not(vec![post::published::equals(true)])]).exec().await.unwrap();
        assert_eq!(slugs(negated), ["d_fourth%"]);
        let drafts_null = db.post().find_many(vec![post::published_at::equals(None)]).exec().await.unwrap();
        assert_eq!(drafts_null.len(), 4, "equals(None) is IS NULL");
        let after_first = db.post().find_many(vec![post::id::gt(1)]).exec().await.unwrap();
        assert_eq!(after_first.len(), 3);

        let page = db.post().find_many(vec![]).order_by(post::slug::order(SortOrder::Asc)).skip(1).take(2).exec().await.unwrap();
        assert_eq!(slugs(page), ["b-second", "c-third"]);
        let from_cursor = db.post().find_many(vec![]).order_by(post::slug::order(SortOrder::Asc)).cursor(post::UniqueWhere::Slug("b-second".into())).exec().await.unwrap();
        assert_eq!(slugs(from_cursor), ["b-second", "c-third", "d_fourth%"]);
        assert_eq!(db.post().count(vec![post::published::equals(true)]).await.unwrap(), 3);
        let first = db.post().find_first(vec![post::published::equals(false)]).first().await.unwrap();
        assert_eq!(first.map(|p| p.slug).as_deref(), Some("d_fourth%"));
    }

    relation_filters_and_includes(test) {
        let db = &test.db;
        let ada = author(db, "ada@example.com").await;
        let grace = author(db, "grace@navy.mil").await;
        let lin = author(db, "lin@example.com").await;
        post_by(db, &ada, "ada-1", true).await;
        post_by(db, &ada, "ada-2", false).await;
        post_by(db, &grace, "grace-1", true).await;
        let emails = |users: Vec<db::User>| users.into_iter().map(|u| u.email).collect::<Vec<_>>();
        let ordered = |filters| async move { emails(db.user().find_many(filters).order_by(user::id::order(SortOrder::Asc)).exec().await.unwrap()) };

        assert_eq!(ordered(vec![user::posts::some(vec![post::published::equals(false)])]).await, ["ada@example.com"]);
        assert_eq!(ordered(vec![user::posts::every(vec![post::published::equals(true)])]).await, ["grace@navy.mil", "lin@example.com"]);
        assert_eq!(ordered(vec![user::posts::none(vec![])]).await, ["lin@example.com"]);
        let by_grace = db.post().find_many(vec![post::author::is(vec![user::email::ends_with(".mil")])]).exec().await.unwrap();
        assert_eq!(by_grace.len(), 1);

        let users = db.user().find_many(vec![]).order_by(user::id::order(SortOrder::Asc)).exec().await.unwrap();
        let with_posts = db::User::with_posts(users, db).await.unwrap();
        let counts: Vec<usize> = with_posts.iter().map(|u| u.posts.len()).collect();
        assert_eq!(counts, [2, 1, 0]);
        assert_eq!(with_posts[2].user.id, lin.id);

        let posts = db.post().find_many(vec![]).order_by(post::slug::order(SortOrder::Asc)).exec().await.unwrap();
        let with_author = db::Post::with_author(posts, db).await.unwrap();
        assert_eq!(with_author[0].author.email, "ada@example.com");
        assert_eq!(with_author[2].author.id, grace.id);
    }

    update_upsert_delete(test) {
        let db = &test.db;
        let ada = author(db, "ada@example.com").await;
        let post = post_by(db, &ada, "draft", false).await;
        let now = Utc::now();
        let published = db.post().update(post::UniqueWhere::Id(post.id), vec![post::published::set(true), post::published_at::set(now)]).await.unwrap();
        assert!(published.published);
        assert!(published.updated_at >= post.updated_at, "@updatedAt moves on update");
        assert_eq!(published.published_at.map(|t| t.timestamp_millis()), Some(now.timestamp_millis()));

        let missing = db.post().update(post::UniqueWhere::Id(post.id + 99), vec![post::title::set("x")]).await;
        assert!(matches!(missing, Err(DbError::NotFound { model: "Post" })), "{missing:?}");
        assert_eq!(db.post().update_many(vec![post::published::equals(true)], vec![post::title::set("Renamed")]).await.unwrap(), 1);

        let created = db.user().upsert(user::UniqueWhere::Email("new@example.com".into()), user::Create::new("new@example.com", "New", "h"), vec![user::name::set("Updated")]).await.unwrap();
        assert_eq!(created.name, "New");
        let updated = db.user().upsert(user::UniqueWhere::Email("new@example.com".into()), user::Create::new("new@example.com", "New", "h"), vec![user::name::set("Updated")]).await.unwrap();
        assert_eq!((updated.id, updated.name.as_str()), (created.id, "Updated"));

        let unchanged = db.user().update(user::UniqueWhere::Id(ada.id), vec![]).await.unwrap();
        assert_eq!(unchanged, ada, "an empty update returns the row");
        assert_eq!(db.user().update_many(vec![], vec![]).await.unwrap(), 2, "an empty update_many counts the matches");

        let deleted = db.user().delete(user::UniqueWhere::Id(ada.id)).await.unwrap();
        assert_eq!(deleted.id, ada.id);
        assert_eq!(db.post().count(vec![]).await.unwrap(), 0, "onDelete: Cascade removed the posts");
        assert!(matches!(db.user().delete(user::UniqueWhere::Id(ada.id)).await, Err(DbError::NotFound { .. })));
        assert_eq!(db.user().delete_many(vec![user::email::contains("@")]).await.unwrap(), 1);
    }

    create_many_inserts_in_one_statement(test) {
        let db = &test.db;
        let rows = (0..5).map(|i| user::Create::new(format!("u{i}@example.com"), format!("U{i}"), "h")).collect();
        assert_eq!(db.user().create_many(rows).await.unwrap(), 5);
        assert_eq!(db.user().count(vec![]).await.unwrap(), 5);
        assert_eq!(db.user().create_many(Vec::new()).await.unwrap(), 0);
    }

    constraint_violations_are_typed(test) {
        let db = &test.db;
        let ada = author(db, "ada@example.com").await;
        let duplicate = db.user().create(user::Create::new("ada@example.com", "Again", "h")).await;
        assert!(matches!(duplicate, Err(DbError::UniqueViolation { .. })), "{duplicate:?}");
        let orphan = db.post().create(post::Create::new("orphan", "Orphan", "x", ada.id + 1000)).await;
        assert!(matches!(orphan, Err(DbError::ForeignKeyViolation { .. })), "{orphan:?}");
        let message = duplicate.unwrap_err().to_string();
        assert!(!message.contains("INSERT") && !message.contains("SELECT"), "no SQL in the error: {message}");
    }

    transactions_commit_or_roll_back(test) {
        let db = &test.db;
        let committed: Result<db::User, DbError> = db.transaction(|tx| async move {
            let user = tx.user().create(user::Create::new("tx@example.com", "Tx", "h")).await?;
            tx.post().create(post::Create::new("tx-post", "T", "B", user.id)).await?;
            Ok(user)
        }).await;
        assert!(committed.is_ok());
        assert_eq!(db.post().count(vec![]).await.unwrap(), 1);

        let rolled_back: Result<(), DbError> = db.transaction(|tx| async move {
            tx.user().create(user::Create::new("gone@example.com", "Gone", "h")).await?;
            tx.user().create(user::Create::new("tx@example.com", "Duplicate", "h")).await?;
            Ok(())
        }).await;
        assert!(matches!(rolled_back, Err(DbError::UniqueViolation { .. })));
        assert_eq!(db.user().count(vec![user::email::equals("gone@example.com")]).await.unwrap(), 0, "the first insert was rolled back");
    }

    raw_sql_escape_hatch(test) {
        let db = &test.db;
        author(db, "ada@example.com").await;
        let count: i64 = match (db.sqlite_pool(), db.postgres_pool()) {
            (Some(pool), _) => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = ?").bind("ada@example.com").fetch_one(pool).await.unwrap(),
            (_, Some(pool)) => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1").bind("ada@example.com").fetch_one(pool).await.unwrap(),
            _ => unreachable!("one backend is connected"),
        };
        assert_eq!(count, 1);
    }

    server_only_fields_are_never_serialized(test) {
        let db = &test.db;
        let ada = author(db, "ada@example.com").await;
        assert_eq!(ada.password_hash, "argon2-hash", "the server reads it");
        let json = serde_json::to_value(&ada).unwrap();
        assert!(json.get("passwordHash").is_none() && !json.to_string().contains("argon2-hash"), "{json}");
        assert_eq!(json["email"], "ada@example.com");
        assert!(json["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')), "DateTime is an ISO string in UTC: {json}");
    }

    enums_default_filter_update_and_serialize(test) {
        let db = &test.db;
        let ada = author(db, "ada@example.com").await;
        assert_eq!(ada.role, db::Role::Author, "@default(AUTHOR)");
        let admin = db.user().create(user::Create { role: Some(db::Role::Admin), ..user::Create::new("root@example.com", "Root", "h") }).await.unwrap();
        let admins = db.user().find_many(vec![user::role::equals(db::Role::Admin)]).exec().await.unwrap();
        assert_eq!(admins, std::slice::from_ref(&admin));
        let promoted = db.user().update(user::UniqueWhere::Id(ada.id), vec![user::role::set(db::Role::Admin)]).await.unwrap();
        assert_eq!(promoted.role, db::Role::Admin);
        assert_eq!(db.user().count(vec![user::role::in_vec(vec![db::Role::Admin])]).await.unwrap(), 2);
        assert_eq!(serde_json::to_value(&promoted).unwrap()["role"], "ADMIN");
    }

    migrations_are_recorded_and_not_rerun(test) {
        let db = &test.db;
        let migrations = db::MIGRATIONS.for_provider(test.provider());
        assert!(db.migrate(migrations).await.unwrap().is_empty(), "nothing pending after start-up");
        let status = db.migration_status(migrations).await.unwrap();
        assert_eq!(status.applied.len(), migrations.len());
        assert!(status.pending.is_empty());
    }
}
