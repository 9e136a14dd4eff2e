import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import { tanstackRouter } from "@tanstack/router-plugin/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The Rust server, at the address `npm run dev` (dev.mjs) starts it on.
const server = `http://${process.env.ISTHMUS_ADDRESS ?? "127.0.0.1:3000"}`;

// What the Vite dev server answers itself: the app's modules and its own client.
const VITE_PATHS = ["@vite/", "@react-refresh", "@id/", "@fs/", "src/", "node_modules/", "__vite"];

// React's string renderer without its streaming half, which needs MessageChannel and
// TextEncoder at load: what QuickJS runs in the Rust server.
const reactDomServer = join(
  dirname(createRequire(import.meta.url).resolve("react-dom/package.json")),
  "cjs/react-dom-server-legacy.browser.production.js",
);

export default defineConfig(({ isSsrBuild }) => ({
  // The router plugin writes src/routeTree.gen.ts from the files in src/routes.
  plugins: [tanstackRouter({ target: "react", autoCodeSplitting: true }), react()],
  ...(isSsrBuild && {
    // The server bundle (`vite build --ssr src/entry-server.tsx`): one self-contained ES
    // module for QuickJS, resolved as server code ("worker": the router's isServer is true).
    resolve: { alias: { "react-dom/server": reactDomServer } },
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    ssr: { noExternal: true, target: "webworker", resolve: { conditions: ["worker", "module", "production"] } },
    build: { minify: true },
  }),
  server: {
    // `npm run dev` (dev.mjs): the Rust server renders every page and answers procedures;
    // Vite serves only its own modules (with HMR). The server takes Vite's address as its
    // public origin, so links, redirects and origin checks are what the browser sees.
    proxy: { [`^/(?!${VITE_PATHS.join("|")}).*`]: { target: server } },
  },
}));
