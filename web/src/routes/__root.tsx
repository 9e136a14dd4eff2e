import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Link, Outlet } from "@tanstack/react-router";

export const Route = createRootRouteWithContext<{ queryClient: QueryClient }>()({
  component: () => (
    <>
      <header style={{ display: "flex", gap: "1rem", padding: "1rem", borderBottom: "1px solid #ddd" }}>
        <strong>Isthmus</strong>
        <Link to="/">Newsletter</Link>
      </header>
      <main style={{ padding: "1rem", maxWidth: "40rem" }}>
        <Outlet />
      </main>
    </>
  ),
  notFoundComponent: () => <p>Nothing here.</p>,
});
