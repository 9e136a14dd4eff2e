import { lazy, Suspense, useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Link, Outlet } from "@tanstack/react-router";

import { loadQuery } from "@isthmus/bindings/router";

import { SignOut } from "../components/SignOut";
import { rq } from "../rpc";

// `import.meta.env.DEV` is false in production builds, which then drop the import.
const Devtools = import.meta.env.DEV ? lazy(() => import("../components/Devtools")) : null;

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
});

function Layout() {
  const me = useQuery(rq.queryOptions("auth.me"));
  // The devtools join after hydration, so the page matches the HTML the server rendered.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
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
      {Devtools && hydrated && (
        <Suspense>
          <Devtools />
        </Suspense>
      )}
    </>
  );
}
