import { createRoot, hydrateRoot } from "react-dom/client";

import { AppRoot, createApp } from "./app";

const app = createApp();
const root = document.getElementById("root")!;

// The build prerenders pages so that their forms work without JavaScript (prerender.mjs);
// that markup is hydrated. Other paths get the empty shell and render here.
if (root.dataset.prerendered === location.pathname) {
  // Render as the server did: no client-only Suspense boundaries around the matches (what
  // the router's own SSR hydration sets), and with the route's code loaded first.
  app.router.ssr = { manifest: undefined };
  void app.router.load().then(() => hydrateRoot(root, <AppRoot app={app} />));
} else {
  root.replaceChildren();
  createRoot(root).render(<AppRoot app={app} />);
}
