// The server entry of a web app rendered by the Rust server (server/render): build the app
// for a URL, load its routes with the data the server passes in, render it to HTML, and
// report status, redirect, head tags, the dehydrated query state and how long the page
// stays fresh. The contract with the Rust side is documented in server/render/src/lib.rs.
import "./polyfills";

import { dehydrate, type QueryClient } from "@tanstack/react-query";
import { createMemoryHistory, type AnyRouter, type RouterHistory } from "@tanstack/react-router";
import { createElement, type ComponentType } from "react";
import { renderToString } from "react-dom/server";

import { beginServerRender, endServerRender, waitingCalls, type ServerResult } from "./calls";

export interface RenderableApp {
  router: AnyRouter;
  queryClient: QueryClient;
}

export interface RendererOptions<A extends RenderableApp> {
  /** Builds the app on a history (the same function the browser entry uses). */
  createApp: (history: RouterHistory, env: { origin: string }) => A;
  /** The app's root component. */
  Root: ComponentType<{ app: A }>;
}

/** What the route says about itself in `staticData`. */
declare module "@tanstack/router-core" {
  interface StaticDataRouteOption {
    /** Seconds the server may serve this page's HTML from its cache before rendering it again. */
    revalidate?: number;
  }
}

/** How the router ended a server load. Router internals: pinned by the exact router version. */
type ServerResult_ =
  | { type: "render"; status: number }
  | { type: "redirect"; redirect: { status: number; headers: Headers; options: { href?: string } } };

export function createRenderer<A extends RenderableApp>({ createApp, Root }: RendererOptions<A>) {
  async function render(request: string): Promise<string> {
    const { url, origin, results } = JSON.parse(request) as { url: string; origin: string; results: ServerResult[] };
    beginServerRender(results);
    try {
      const app = createApp(createMemoryHistory({ initialEntries: [url] }), { origin });
      // Failures are answers: they reach the routes at once instead of waiting for a retry.
      app.queryClient.setDefaultOptions({ queries: { retry: false } });
      await app.router.load();
      const outcome = (app.router as unknown as { _serverResult?: ServerResult_ })._serverResult;
      if (outcome?.type === "redirect") {
        const location = outcome.redirect.headers.get("Location") ?? outcome.redirect.options.href ?? "/";
        return JSON.stringify({ kind: "redirect", status: outcome.redirect.status || 307, location });
      }
      const html = renderToString(createElement(Root, { app }));
      const matches = app.router.state.matches;
      return JSON.stringify({
        kind: "page",
        status: outcome?.status ?? 200,
        html,
        head: headTags(matches),
        state: JSON.stringify(dehydrate(app.queryClient)),
        revalidate: revalidateOf(matches),
      });
    } finally {
      endServerRender();
    }
  }

  function pendingQueries(): string {
    return JSON.stringify(waitingCalls());
  }

  return { render, pendingQueries };
}

type Match = AnyRouter["state"]["matches"][number];

/** The shortest `revalidate` any matched route declares, in whole seconds; none (or 0): not cached. */
function revalidateOf(matches: Match[]): number | null {
  const declared = matches.map((m) => m.staticData?.revalidate).filter((s): s is number => typeof s === "number");
  const seconds = declared.length ? Math.floor(Math.min(...declared)) : 0;
  return seconds > 0 ? seconds : null;
}

/** `<title>`, `<meta>` and `<link>` from the matched routes' `head()`, deepest last (it wins). */
function headTags(matches: Match[]): string {
  let title: string | undefined;
  const tags = new Map<string, string>();
  for (const match of matches) {
    for (const meta of match.meta ?? []) {
      if (!meta) continue;
      if ("title" in meta && typeof meta.title === "string") {
        title = meta.title;
        continue;
      }
      const attributes = Object.entries(meta).filter(([, value]) => typeof value === "string");
      const id = String(meta.name ?? meta.property ?? meta.httpEquiv ?? JSON.stringify(attributes));
      tags.set(
        `meta:${id}`,
        `<meta ${attributes.map(([k, v]) => `${attributeName(k)}="${escapeHtml(v)}"`).join(" ")}>`,
      );
    }
    for (const link of match.links ?? []) {
      if (!link) continue;
      const attributes = Object.entries(link).filter(([, value]) => typeof value === "string");
      tags.set(
        `link:${link.rel}:${link.href}`,
        `<link ${attributes.map(([k, v]) => `${attributeName(k)}="${escapeHtml(v)}"`).join(" ")}>`,
      );
    }
  }
  return (title === undefined ? "" : `<title>${escapeHtml(title)}</title>`) + [...tags.values()].join("");
}

const attributeName = (key: string) =>
  key === "httpEquiv" ? "http-equiv" : key === "charSet" ? "charset" : key.toLowerCase();

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
