import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./test/server.ts"],
    testTimeout: 20_000,
  },
});
