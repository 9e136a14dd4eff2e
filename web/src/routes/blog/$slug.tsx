import { useQuery } from "@tanstack/react-query";
import { createFileRoute, Link } from "@tanstack/react-router";

import { rq } from "../../rpc";

export const Route = createFileRoute("/blog/$slug")({ component: PostPage });

function PostPage() {
  const { slug } = Route.useParams();
  const post = useQuery({ ...rq.queryOptions("posts.bySlug", { slug }), retry: false });
  if (post.error?.procedureError?.code === "NOT_FOUND") {
    return (
      <section>
        <h1>Post not found</h1>
        <p>
          No published post is at this address. <Link to="/blog">See all posts</Link>.
        </p>
      </section>
    );
  }
  if (!post.data) return <p className="muted">{post.error ? "This post could not be loaded." : "Loading…"}</p>;
  const { title, publishedAt, author, tags, html } = post.data;
  return (
    <article>
      <h1>{title}</h1>
      <p className="meta">
        <time dateTime={publishedAt}>{new Date(publishedAt).toLocaleDateString("en")}</time> · {author.name}
        {tags.map((tag) => (
          <Link key={tag} to="/blog" search={{ tag }} className="tag">
            {tag}
          </Link>
        ))}
      </p>
      {/* Rendered from markdown and sanitized on the server (ammonia): nothing in it runs. */}
      <div className="prose" dangerouslySetInnerHTML={{ __html: html }} />
    </article>
  );
}
