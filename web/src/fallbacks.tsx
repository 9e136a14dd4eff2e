// What a page shows when its route is not found (404) or its data failed to load (500):
// the router's defaults, set in app.tsx. A route may declare its own.
import { Link, type ErrorComponentProps } from "@tanstack/react-router";

import { RpcError } from "@isthmus/bindings";

/** Unknown addresses (status 404). */
export function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing is at this address. <Link to="/">Go to the home page</Link>.
      </p>
    </section>
  );
}

/** A failed load (status 500): the request id finds the details in the server's log. */
export function Failed({ error }: ErrorComponentProps) {
  const requestId = error instanceof RpcError && "requestId" in error.failure ? error.failure.requestId : undefined;
  return (
    <section>
      <h1>Something went wrong</h1>
      <p role="alert">This page could not be loaded.{requestId && ` Request id: ${requestId}.`}</p>
    </section>
  );
}
