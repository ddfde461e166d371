import { defineConfig } from 'vite';

// A static site: relative asset paths, so that dist/ can be served from any folder. The tfjs
// WebAssembly binaries are imported with ?url and land in dist/assets, served from the app's
// own origin.
export default defineConfig({
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { port: 5173 },
});
