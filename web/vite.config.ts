import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import { tanstackRouter } from "@tanstack/router-plugin/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const server = process.env.ISTHMUS_SERVER ?? "http://127.0.0.1:3000";

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
    // In development the Rust server answers procedures; run it alongside `npm run dev`.
    // The page's origin is Vite's, so the proxy presents the server's own origin: mutations
    // only accept the configured public origin.
    proxy: {
      "/rpc": {
        target: server,
        configure: (proxy) => proxy.on("proxyReq", (request) => request.setHeader("origin", server)),
      },
    },
  },
}));
