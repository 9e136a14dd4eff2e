import { useQuery, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { createFileRoute } from "@tanstack/react-router";
import { useEffect } from "react";

import { useFormAction } from "@isthmus/bindings/react-form";
import { loadQuery } from "@isthmus/bindings/router";

import { FieldErrors } from "../components/FieldErrors";
import { PostList } from "../components/PostList";
import { client, rq } from "../rpc";

const LATEST = { take: 5 };

export const Route = createFileRoute("/")({
  loader: ({ context }) =>
    Promise.all([
      loadQuery(context.queryClient, rq.queryOptions("posts.list", LATEST)),
      loadQuery(context.queryClient, rq.queryOptions("newsletter.stats")),
    ]),
  staticData: { revalidate: 60 },
  head: ({ match }) => ({ links: [{ rel: "canonical", href: `${match.context.origin}/` }] }),
  component: Home,
});

function Home() {
  const latest = useSuspenseQuery(rq.queryOptions("posts.list", LATEST));
  return (
    <>
      <section className="intro">
        <h1>Isthmus</h1>
        <p>Notes on building a type-safe monolith: Rust procedures, a generated TypeScript client, one contract.</p>
      </section>
      <section>
        <h2>Latest posts</h2>
        <PostList posts={latest.data.items} />
      </section>
      <Newsletter />
    </>
  );
}

function Newsletter() {
  const queryClient = useQueryClient();
  const stats = useQuery(rq.queryOptions("newsletter.stats"));
  // A plain form posting to the mutation; the hook keeps the page when JavaScript runs.
  const subscribe = useFormAction(client, "newsletter.subscribe", {
    fields: { name: { autoComplete: "name" }, email: { type: "email", autoComplete: "email" } },
  });

  // Live count: the subscription pushes every change into the query cache.
  useEffect(
    () =>
      client.subscribe("newsletter.watchStats", {
        onData: (latest) => queryClient.setQueryData(rq.queryKey("newsletter.stats"), latest),
      }),
    [queryClient],
  );

  const failure = subscribe.error?.procedureError;

  return (
    <section className="card">
      <h2>Newsletter</h2>
      <p data-testid="subscriber-count">
        {stats.data ? `${stats.data.subscriberCount} readers subscribed` : "Loading…"}
      </p>
      <form {...subscribe.formProps} noValidate className="stack">
        <label>
          Name <input {...subscribe.field("name")} />
        </label>
        <FieldErrors messages={subscribe.fieldErrors.name} />
        <label>
          Email <input {...subscribe.field("email")} />
        </label>
        <FieldErrors messages={subscribe.fieldErrors.email} />
        <button type="submit" disabled={subscribe.pending}>
          Subscribe
        </button>
      </form>
      {failure?.code === "ALREADY_SUBSCRIBED" && <p role="alert">{failure.email} is already subscribed.</p>}
      {subscribe.error && !failure && Object.keys(subscribe.fieldErrors).length === 0 && (
        <p role="alert">Something went wrong: {subscribe.error.message}</p>
      )}
      {subscribe.result && (
        <p role="status">
          Almost there, {subscribe.result.name}: confirm from the link we sent to {subscribe.result.email}.
        </p>
      )}
      <p id="newsletter.subscribe" className="form-done">
        Almost there: confirm from the link we sent you.
      </p>
    </section>
  );
}
