// The dashboard is served by Flask at /dashboard/ (backend/web.py), its API at /api on the same origin.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The base every web app shares (DOM helpers, API client, i18n, formatting, the vocabulary).
const common = fileURLToPath(new URL('../web/common', import.meta.url));

export default defineConfig({
  base: '/dashboard/',
  resolve: { alias: { '@common': common } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 700 },
  // `npm run dev` next to `make run`: the API stays on Flask.
  server: { proxy: { '/api': 'http://127.0.0.1:5000' }, fs: { allow: ['.', common] } },
});
