// The dashboard is served by Flask at /dashboard/ (backend/web.py), its API at /api on the same origin.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/dashboard/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 700 },
  // `npm run dev` next to `make run`: the API stays on Flask.
  server: { proxy: { '/api': 'http://127.0.0.1:5000' } },
});
