import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The console is served by the API server from dist/ (see the server's console module); in
// development `pnpm dev` proxies the API to a server on port 8080.
export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: [
      {
        find: /^@airlock\/core$/,
        replacement: fileURLToPath(new URL("../core/src/index.ts", import.meta.url)),
      },
    ],
  },
  // `pnpm build` sets NODE_ENV=production: Vite picks packages' development or production code
  // from NODE_ENV, and a test runner's "test" would ship React's development code.
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Hashed file names under assets/ are what the server marks immutable.
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
      "/blob": "http://127.0.0.1:8080",
      "/console/": "http://127.0.0.1:8080",
    },
  },
});
