import { useSuspenseQuery } from "@tanstack/react-query";
import { createFileRoute, Link } from "@tanstack/react-router";

import { loadQuery } from "@isthmus/bindings/router";

import { PostList } from "../../components/PostList";
import { rq } from "../../rpc";

type BlogSearch = { after?: string; tag?: string };

export const Route = createFileRoute("/blog/")({
  validateSearch: (search: Record<string, unknown>): BlogSearch => ({
    after: typeof search.after === "string" ? search.after : undefined,
    tag: typeof search.tag === "string" ? search.tag : undefined,
  }),
  // The page's data, declared once: fetched in the browser, run in-process on the server.
  loaderDeps: ({ search: { after, tag } }) => ({ after, tag }),
  loader: ({ context, deps }) => loadQuery(context.queryClient, rq.queryOptions("posts.list", deps)),
  // The server keeps this page's HTML for a minute; publishing a post refreshes it at once.
  staticData: { revalidate: 60 },
  head: ({ match }) => ({
    meta: [
      { title: match.search.tag ? `Posts tagged “${match.search.tag}” · Isthmus` : "Blog · Isthmus" },
      { name: "description", content: "Every post on the Isthmus blog, newest first." },
    ],
    links: [{ rel: "canonical", href: `${match.context.origin}/blog` }],
  }),
  component: Blog,
});

function Blog() {
  const { after, tag } = Route.useSearch();
  const page = useSuspenseQuery(rq.queryOptions("posts.list", { after, tag }));
  return (
    <section>
      <h1>{tag ? `Posts tagged “${tag}”` : "Blog"}</h1>
      {tag && (
        <p>
          <Link to="/blog">All posts</Link>
        </p>
      )}
      <PostList posts={page.data.items} />
      {page.data.next && (
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
