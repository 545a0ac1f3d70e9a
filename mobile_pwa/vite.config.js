// Build of the postman's PWA, served by Flask at /app/ (backend/web.py).
// The service worker (src/sw.js) is built by vite-plugin-pwa with injectManifest: Workbox injects
// the list of app-shell files, with a revision per file, which the worker precaches.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'
import pkg from './package.json' with { type: 'json' }

// The base every web app shares (DOM helpers, API client, i18n, formatting, the vocabulary).
const common = fileURLToPath(new URL('../web/common', import.meta.url))
// The signature pad web/common/signature.js draws with: this app's own dependency, found from there too.
const signaturePad = fileURLToPath(new URL('./node_modules/signature_pad', import.meta.url))

export default defineConfig({
  base: '/app/',
  resolve: { alias: { '@common': common, 'signature_pad': signaturePad } },
  server: { fs: { allow: ['.', common] } },
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  build: {
    target: 'es2020',
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    // One small bundle: an old page never asks the network for a chunk the new worker dropped.
    modulePreload: { polyfill: false },
  },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.js',
      injectRegister: false, // src/main.js registers the worker itself
      manifestFilename: 'manifest.webmanifest',
      includeManifestIcons: false, // the glob below already takes the icons
      injectManifest: {
        // The barcode decoder (ZXing WebAssembly, ~1.1 MB) is loaded on the first scan: precached too,
        // so scanning works offline.
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest,wasm}'],
        maximumFileSizeToCacheInBytes: 2 * 1024 * 1024,
      },
      manifest: {
        id: '/app/',
        name: 'PostRound – Bưu tá',
        short_name: 'PostRound',
        description: 'Trả kết quả và thu gom hồ sơ thủ tục hành chính qua bưu chính công ích',
        lang: 'vi',
        dir: 'ltr',
        start_url: '/app/',
        scope: '/app/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#0054a6',
        categories: ['productivity', 'business'],
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
    }),
  ],
})
