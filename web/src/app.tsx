// The app as a component, built the same way in the browser (main.tsx) and in a server render
// (entry-server.tsx).
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createRouter, RouterProvider, type RouterHistory } from "@tanstack/react-router";
import { StrictMode } from "react";

import { Failed, NotFound } from "./fallbacks";
import { routeTree } from "./routeTree.gen";
import "./styles.css";

/** Where the app runs: `origin` is the site's public origin, for absolute links in `<head>`. */
export interface AppEnv {
  origin: string;
}

export function createApp(history: RouterHistory | undefined, env: AppEnv) {
  // Data the server rendered stays fresh as long as the pages built from it: hydrating does
  // not fetch it again.
  const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 60_000 } } });
  const router = createRouter({
    routeTree,
    context: { queryClient, origin: env.origin },
    history,
    // What a page shows when its data is not found (404) or failed to load (500).
    defaultNotFoundComponent: NotFound,
    defaultErrorComponent: Failed,
  });
  return { router, queryClient };
}

export type App = ReturnType<typeof createApp>;

declare module "@tanstack/react-router" {
  interface Register {
    router: App["router"];
  }
}

export function AppRoot({ app }: { app: App }) {
  return (
    <StrictMode>
      <QueryClientProvider client={app.queryClient}>
        <RouterProvider router={app.router} />
      </QueryClientProvider>
    </StrictMode>
  );
}
