import { Link } from "@tanstack/react-router";

import type { PostSummary } from "@isthmus/bindings";

import { formatDate } from "./dates";

/** Post summaries: title, date, author, tags and excerpt. */
export function PostList({ posts }: { posts: PostSummary[] }) {
  if (posts.length === 0) return <p className="muted">No posts yet.</p>;
  return (
    <ul className="post-list">
      {posts.map((post) => (
        <li key={post.id}>
          <h3>
            <Link to="/blog/$slug" params={{ slug: post.slug }}>
              {post.title}
            </Link>
          </h3>
          <p className="meta">
            <time dateTime={post.publishedAt}>{formatDate(post.publishedAt)}</time> · {post.author.name}
            {post.tags.map((tag) => (
              <Link key={tag} to="/blog" search={{ tag }} className="tag">
                {tag}
              </Link>
            ))}
          </p>
          <p>{post.excerpt}</p>
        </li>
      ))}
    </ul>
  );
}
