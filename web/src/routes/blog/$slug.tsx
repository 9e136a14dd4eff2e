import { useSuspenseQuery } from "@tanstack/react-query";
import { createFileRoute, Link } from "@tanstack/react-router";

import { loadQuery } from "@isthmus/bindings/router";

import { formatDate } from "../../components/dates";
import { rq } from "../../rpc";

export const Route = createFileRoute("/blog/$slug")({
  // An unknown or unpublished slug is the procedure's NOT_FOUND: the page answers 404.
  loader: ({ context, params: { slug } }) => loadQuery(context.queryClient, rq.queryOptions("posts.bySlug", { slug })),
  staticData: { revalidate: 60 },
  head: ({ match, loaderData: post }) => {
    const url = `${match.context.origin}/blog/${match.params.slug}`;
    if (!post) return { meta: [{ title: "Post not found · Isthmus" }] };
    return {
      meta: [
        { title: `${post.title} · Isthmus` },
        { name: "description", content: post.excerpt },
        { property: "og:type", content: "article" },
        { property: "og:title", content: post.title },
        { property: "og:description", content: post.excerpt },
        { property: "og:url", content: url },
        { property: "article:published_time", content: post.publishedAt },
      ],
      links: [{ rel: "canonical", href: url }],
    };
  },
  notFoundComponent: () => (
    <section>
      <h1>Post not found</h1>
      <p>
        No published post is at this address. <Link to="/blog">See all posts</Link>.
      </p>
    </section>
  ),
  component: PostPage,
});

function PostPage() {
  const { slug } = Route.useParams();
  const { title, publishedAt, author, tags, html } = useSuspenseQuery(rq.queryOptions("posts.bySlug", { slug })).data;
  return (
    <article>
      <h1>{title}</h1>
      <p className="meta">
        <time dateTime={publishedAt}>{formatDate(publishedAt)}</time> · {author.name}
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
