import { tanstackRouter } from "@tanstack/router-plugin/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const server = process.env.ISTHMUS_SERVER ?? "http://127.0.0.1:3000";

export default defineConfig({
  // The router plugin writes src/routeTree.gen.ts from the files in src/routes.
  plugins: [tanstackRouter({ target: "react", autoCodeSplitting: true }), react()],
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
});
