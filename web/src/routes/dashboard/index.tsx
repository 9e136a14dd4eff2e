import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, Link } from "@tanstack/react-router";
import { useEffect, useState } from "react";

import type { OwnPost } from "@isthmus/bindings";
import { loadQuery } from "@isthmus/bindings/router";

import { client, rq } from "../../rpc";

export const Route = createFileRoute("/dashboard/")({
  // The author's posts arrive with the page (rendered per request: they are the viewer's own).
  loader: ({ context }) => loadQuery(context.queryClient, rq.queryOptions("posts.mine")),
  component: Dashboard,
});

function Dashboard() {
  return (
    <section>
      <h1>Dashboard</h1>
      <LiveCount />
      <h2>Your posts</h2>
      <p>
        <Link to="/dashboard/new" className="button">
          New post
        </Link>
      </p>
      <MyPosts />
      <Subscribers />
      <Delivery />
    </section>
  );
}

/** The subscriber count, pushed by the server as readers confirm (in any server process). */
function LiveCount() {
  const [count, setCount] = useState<number | undefined>();
  useEffect(
    () => client.subscribe("newsletter.watchStats", { onData: (stats) => setCount(stats.subscriberCount) }),
    [],
  );
  return (
    <p className="figure" data-testid="live-subscribers">
      {count === undefined ? "…" : count} subscribers
    </p>
  );
}

function MyPosts() {
  const queryClient = useQueryClient();
  const posts = useQuery(rq.queryOptions("posts.mine"));
  const refresh = () => void queryClient.invalidateQueries({ queryKey: rq.queryKey("posts.mine") });
  const act = async (name: "posts.publish" | "posts.unpublish" | "posts.delete", post: OwnPost) => {
    if (name === "posts.delete" && !window.confirm(`Delete “${post.title}”? This cannot be undone.`)) return;
    await client.mutation(name, { id: post.id });
    refresh();
  };
  if (!posts.data) return <p className="muted">{posts.error ? "Your posts could not be loaded." : "Loading…"}</p>;
  if (posts.data.length === 0) return <p className="muted">No posts yet.</p>;
  return (
    <table className="posts">
      <thead>
        <tr>
          <th>Title</th>
          <th>Status</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {posts.data.map((post) => (
          <tr key={post.id}>
            <td>
              <Link to="/dashboard/$id" params={{ id: String(post.id) }}>
                {post.title}
              </Link>
            </td>
            <td>
              {post.published ? (
                <Link to="/blog/$slug" params={{ slug: post.slug }}>
                  Published
                </Link>
              ) : (
                "Draft"
              )}
            </td>
            <td className="actions">
              {post.published ? (
                <button type="button" onClick={() => void act("posts.unpublish", post)}>
                  Unpublish
                </button>
              ) : (
                <button type="button" onClick={() => void act("posts.publish", post)}>
                  Publish
                </button>
              )}
              <button type="button" className="danger" onClick={() => void act("posts.delete", post)}>
                Delete
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Subscribers() {
  const page = useQuery(rq.queryOptions("subscribers.list", { take: 20 }));
  if (!page.data) return null;
  return (
    <>
      <h2>Subscribers ({page.data.total})</h2>
      <ul className="subscribers">
        {page.data.items.map((reader) => (
          <li key={reader.id}>
            {reader.name} &lt;{reader.email}&gt;{reader.confirmedAt ? "" : " (unconfirmed)"}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The email provider's figures: fetched by the server at most once a minute, or now. */
function Delivery() {
  const queryClient = useQueryClient();
  const delivery = useQuery(rq.queryOptions("newsletter.delivery"));
  const [refreshing, setRefreshing] = useState(false);
  const [refreshFailed, setRefreshFailed] = useState(false);
  const refresh = async () => {
    setRefreshing(true);
    setRefreshFailed(false);
    try {
      queryClient.setQueryData(rq.queryKey("newsletter.delivery"), await client.mutation("newsletter.refreshDelivery"));
    } catch {
      setRefreshFailed(true);
    } finally {
      setRefreshing(false);
    }
  };
  let figures;
  if (delivery.data?.kind === "provider") {
    figures = `${delivery.data.sent} sent · ${delivery.data.bounced} bounced`;
  } else if (delivery.data?.kind === "noProvider") {
    figures = "No email provider is configured: emails are written to the server's log.";
  } else if (delivery.error?.procedureError?.code === "PROVIDER_UNAVAILABLE") {
    figures = "The email provider is not answering; try again later.";
  } else {
    figures = delivery.error ? "The figures could not be loaded." : "Loading…";
  }
  return (
    <>
      <h2>Email delivery</h2>
      <p data-testid="delivery">{figures}</p>
      <button type="button" onClick={() => void refresh()} disabled={refreshing}>
        Refresh now
      </button>
      {refreshFailed && <p role="alert">The provider could not be asked just now; the figures above may be old.</p>}
    </>
  );
}
