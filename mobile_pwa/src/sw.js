// The service worker: precaches a versioned app shell and serves it offline.
// It never touches the API: /api/* requests go straight to the network, uncached, so a postman
// never sees stale server data. The outbox is replayed by the page (src/sync/scheduler.js) on
// start, `online`, becoming visible and a timer; the `sync` event below is only a bonus.
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { clientsClaim, setCacheNameDetails } from 'workbox-core'

const SHELL = self.__WB_MANIFEST // [{url, revision}], injected at build time
const PREFIX = 'postround'

// The cache name carries a fingerprint of the whole shell: every release gets its own cache,
// and the activate handler below deletes the others.
function fingerprint(entries) {
  let hash = 0x811c9dc5
  for (const char of JSON.stringify(entries)) {
    hash ^= char.charCodeAt(0)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16).padStart(8, '0')
}
const VERSION = fingerprint(SHELL)
setCacheNameDetails({ prefix: PREFIX, precache: 'shell', runtime: 'runtime', suffix: VERSION })

self.skipWaiting()
clientsClaim()
cleanupOutdatedCaches()
precacheAndRoute(SHELL)

// Every navigation inside /app/ gets the cached shell (the app routes by #hash); nothing else.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/app/index.html'), {
    allowlist: [/^\/app\//],
    denylist: [/^\/api\//],
  }),
)

self.addEventListener('activate', (event) => {
  const current = `${PREFIX}-shell-${VERSION}`
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((key) => key.startsWith(`${PREFIX}-`) && key !== current)
            .map((key) => caches.delete(key)),
        ),
      ),
  )
})

// Bonus where the browser has Background Sync: wake an open page to drain its outbox.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'postround-outbox') return
  event.waitUntil(
    self.clients
      .matchAll({ type: 'window', includeUncontrolled: true })
      .then((clients) => clients.forEach((client) => client.postMessage({ type: 'sync' }))),
  )
})
