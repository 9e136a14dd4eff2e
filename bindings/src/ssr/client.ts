// The browser entry of a server-rendered app: resume the server's query state and hydrate its
// markup, or render from scratch when the server sent the client shell (a failed render).
import { hydrate, type DehydratedState, type QueryClient } from "@tanstack/react-query";
import type { AnyRouter } from "@tanstack/react-router";
import { createElement, useEffect, type ComponentType, type ReactNode } from "react";
import { createRoot, hydrateRoot } from "react-dom/client";

/** The element the server writes the dehydrated state into (server/render/src/document.rs). */
const STATE_ELEMENT_ID = "isthmus-state";

export interface HydratableApp {
  router: AnyRouter;
  queryClient: QueryClient;
}

export async function startApp<A extends HydratableApp>(element: HTMLElement, app: A, Root: ComponentType<{ app: A }>) {
  const state = document.getElementById(STATE_ELEMENT_ID);
  if (!state || !element.hasChildNodes()) {
    createRoot(element).render(createElement(Root, { app }));
    return;
  }
  // The data in the HTML counts as fetched now: the server drops a page the moment its data
  // changes, so however long it was cached, what it carries is current.
  const dehydrated = JSON.parse(state.textContent ?? "{}") as DehydratedState;
  const now = Date.now();
  hydrate(app.queryClient, {
    ...dehydrated,
    queries: dehydrated.queries.map((query) => ({ ...query, state: { ...query.state, dataUpdatedAt: now } })),
  });
  // Render as the server did: no client-only Suspense boundaries around the matches (what the
  // router's own SSR hydration sets), with the routes' code and data loaded first; the data
  // comes from the state above, so loading sends no request for it.
  app.router.ssr = { manifest: undefined };
  await app.router.load();
  hydrateRoot(element, createElement(Hydrated, { element }, createElement(Root, { app })));
  // Later navigations update the title as the server wrote it.
  app.router.subscribe("onResolved", () => {
    const titles = app.router.state.matches.flatMap((match) => match.meta ?? []).map((meta) => meta?.title);
    const title = titles.filter((t): t is string => typeof t === "string").pop();
    if (title !== undefined) document.title = title;
  });
}

/** Marks the root element `data-hydrated` once React has taken over the server's markup. */
function Hydrated({ element, children }: { element: HTMLElement; children?: ReactNode }) {
  useEffect(() => element.setAttribute("data-hydrated", ""), [element]);
  return children;
}
