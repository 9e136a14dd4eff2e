import { useQuery } from "@tanstack/react-query";
import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Link, Outlet, type ErrorComponentProps } from "@tanstack/react-router";

import { RpcError } from "@isthmus/bindings";
import { loadQuery } from "@isthmus/bindings/router";

import { SignOut } from "../components/SignOut";
import { rq } from "../rpc";

export const Route = createRootRouteWithContext<{ queryClient: QueryClient; origin: string }>()({
  // Who is signed in, for the header: rendered on the server with the page.
  loader: ({ context }) => loadQuery(context.queryClient, rq.queryOptions("auth.me")),
  head: () => ({
    meta: [
      { title: "Isthmus" },
      { name: "description", content: "Notes on building a type-safe monolith in Rust and TypeScript." },
    ],
  }),
  component: Layout,
  notFoundComponent: NotFound,
  errorComponent: Failed,
});

function Layout() {
  const me = useQuery(rq.queryOptions("auth.me"));
  return (
    <>
      <header className="site-header">
        <nav aria-label="Main">
          <Link to="/" className="brand">
            Isthmus
          </Link>
          <Link to="/blog">Blog</Link>
          {me.data && <Link to="/dashboard">Dashboard</Link>}
        </nav>
        <div className="viewer">
          {me.data ? (
            <>
              <span>Signed in as {me.data.name}</span> <SignOut />
            </>
          ) : (
            <Link to="/login">Sign in</Link>
          )}
        </div>
      </header>
      <main>
        <Outlet />
      </main>
      <footer className="site-footer">
        <a href="/feed.xml">RSS</a> · Built with Isthmus: Rust procedures, a typed client.
      </footer>
    </>
  );
}

/** Unknown addresses (status 404). */
function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing is at this address. <Link to="/blog">See all posts</Link>.
      </p>
    </section>
  );
}

/** A failed load (status 500): the request id finds the details in the server's log. */
function Failed({ error }: ErrorComponentProps) {
  const requestId = error instanceof RpcError && "requestId" in error.failure ? error.failure.requestId : undefined;
  return (
    <section>
      <h1>Something went wrong</h1>
      <p role="alert">This page could not be loaded.{requestId && ` Request id: ${requestId}.`}</p>
    </section>
  );
}
