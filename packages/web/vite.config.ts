import { defineConfig } from 'vite';

/** Where `pnpm dev` proxies API and STOMP traffic (a running `pnpm start`). */
const backend = process.env.CHORUS_DEV_BACKEND ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // sockjs-client's browser code reads the Node-style `global`.
  define: { global: 'globalThis' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/api': backend,
      '/ws': { target: backend, ws: true },
      '/sockjs': { target: backend, ws: true },
    },
  },
});
