import { useQuery } from "@tanstack/react-query";
import { createFileRoute, Link } from "@tanstack/react-router";

import { PostList } from "../../components/PostList";
import { rq } from "../../rpc";

type BlogSearch = { after?: string; tag?: string };

export const Route = createFileRoute("/blog/")({
  validateSearch: (search: Record<string, unknown>): BlogSearch => ({
    after: typeof search.after === "string" ? search.after : undefined,
    tag: typeof search.tag === "string" ? search.tag : undefined,
  }),
  component: Blog,
});

function Blog() {
  const { after, tag } = Route.useSearch();
  const page = useQuery(rq.queryOptions("posts.list", { after, tag }));
  return (
    <section>
      <h1>{tag ? `Posts tagged “${tag}”` : "Blog"}</h1>
      {tag && (
        <p>
          <Link to="/blog">All posts</Link>
        </p>
      )}
      {page.error && <p role="alert">This page of posts could not be loaded.</p>}
      {page.data ? <PostList posts={page.data.items} /> : !page.error && <p className="muted">Loading…</p>}
      {page.data?.next && (
        <p>
          {/* A real link (an href with the cursor): it can be opened, shared and bookmarked. */}
          <Link to="/blog" search={{ after: page.data.next, tag }} rel="next">
            Older posts →
          </Link>
        </p>
      )}
    </section>
  );
}
