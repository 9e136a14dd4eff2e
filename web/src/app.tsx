// The app as a component, built the same way in the browser (main.tsx) and when the build
// prerenders its pages (prerender.tsx).
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createRouter, RouterProvider, type RouterHistory } from "@tanstack/react-router";
import { StrictMode } from "react";

import { routeTree } from "./routeTree.gen";
import "./styles.css";

export function createApp(history?: RouterHistory) {
  const queryClient = new QueryClient();
  const router = createRouter({ routeTree, context: { queryClient }, history });
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
