import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute } from "@tanstack/react-router";
import { useEffect } from "react";

import { useFormAction } from "@isthmus/bindings/react-form";

import { client, rq } from "../rpc";

export const Route = createFileRoute("/")({
  // No loader: the page is prerendered at build time, where there is no server to ask.
  component: Newsletter,
});

function Newsletter() {
  const queryClient = useQueryClient();
  const stats = useQuery(rq.queryOptions("newsletter.stats"));
  // A plain form posting to the mutation; the hook keeps the page when JavaScript runs.
  const subscribe = useFormAction(client, "newsletter.subscribe", {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: rq.queryKey("newsletter.stats") }),
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
    <section>
      <h1>Newsletter</h1>
      <p data-testid="subscriber-count">
        {stats.data ? `${stats.data.subscriberCount} readers subscribed` : "Loading…"}
      </p>
      <form {...subscribe.formProps} noValidate style={{ display: "grid", gap: "0.5rem" }}>
        <label>
          Name <input {...subscribe.field("name")} />
        </label>
        {subscribe.fieldErrors.name?.map((message) => (
          <small key={message} role="alert">
            {message}
          </small>
        ))}
        <label>
          Email <input {...subscribe.field("email")} type="email" />
        </label>
        {subscribe.fieldErrors.email?.map((message) => (
          <small key={message} role="alert">
            {message}
          </small>
        ))}
        <button type="submit" disabled={subscribe.pending}>
          Subscribe
        </button>
      </form>
      {failure?.code === "ALREADY_SUBSCRIBED" && <p role="alert">{failure.email} is already subscribed.</p>}
      {subscribe.error && !failure && Object.keys(subscribe.fieldErrors).length === 0 && (
        <p role="alert">Something went wrong: {subscribe.error.message}</p>
      )}
      {subscribe.result && <p role="status">Welcome, {subscribe.result.name}!</p>}
      <p id="newsletter.subscribe" className="form-done">
        Thank you for subscribing!
      </p>
    </section>
  );
}
