import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute } from "@tanstack/react-router";
import { useEffect, useState, type FormEvent } from "react";

import { client, rq } from "../rpc";

export const Route = createFileRoute("/")({
  loader: ({ context }) => context.queryClient.ensureQueryData(rq.queryOptions("newsletter.stats")),
  component: Newsletter,
});

function Newsletter() {
  const queryClient = useQueryClient();
  const stats = useQuery(rq.queryOptions("newsletter.stats"));
  const subscribe = useMutation({
    ...rq.mutationOptions("newsletter.subscribe"),
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

  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    subscribe.mutate({ email, name });
  };

  const failure = subscribe.error?.procedureError;
  const fieldErrors = failure?.code === "VALIDATION" ? failure.fields : {};

  return (
    <section>
      <h1>Newsletter</h1>
      <p data-testid="subscriber-count">
        {stats.data ? `${stats.data.subscriberCount} readers subscribed` : "Loading…"}
      </p>
      <form onSubmit={onSubmit} noValidate style={{ display: "grid", gap: "0.5rem" }}>
        <label>
          Name <input name="name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        {fieldErrors.name?.map((message) => <small key={message} role="alert">{message}</small>)}
        <label>
          Email <input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        {fieldErrors.email?.map((message) => <small key={message} role="alert">{message}</small>)}
        <button type="submit" disabled={subscribe.isPending}>
          Subscribe
        </button>
      </form>
      {failure?.code === "ALREADY_SUBSCRIBED" && <p role="alert">{failure.email} is already subscribed.</p>}
      {subscribe.error && !failure && <p role="alert">Something went wrong: {subscribe.error.message}</p>}
      {subscribe.data && <p role="status">Welcome, {subscribe.data.name}!</p>}
    </section>
  );
}
