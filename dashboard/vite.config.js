// The dashboard is served by Flask at /dashboard/ (backend/web.py), its API at /api on the same origin.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The base every web app shares (DOM helpers, API client, i18n, formatting, the vocabulary).
const common = fileURLToPath(new URL('../web/common', import.meta.url));
// The signature pad web/common/signature.js draws with (electronic handover records): the PWA's
// dependency, the same package and version, so the two apps' pads never differ.
const signaturePad = fileURLToPath(new URL('../mobile_pwa/node_modules/signature_pad', import.meta.url));

export default defineConfig({
  base: '/dashboard/',
  resolve: { alias: { '@common': common, 'signature_pad': signaturePad } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 700 },
  // `npm run dev` next to `make run`: the API stays on Flask.
  server: { proxy: { '/api': 'http://127.0.0.1:5000' }, fs: { allow: ['.', common] } },
});
