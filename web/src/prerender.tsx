// Renders a page to HTML at build time (see prerender.mjs). Queries render their pending
// state: the markup is the page's shape, with its forms, not its data.
import { createMemoryHistory } from "@tanstack/react-router";
import { renderToString } from "react-dom/server";

import { AppRoot, createApp } from "./app";

export async function render(path: string): Promise<string> {
  const app = createApp(createMemoryHistory({ initialEntries: [path] }));
  await app.router.load();
  return renderToString(<AppRoot app={app} />);
}
