// When to sync. The page replays the outbox itself, on app start, on `online`, when the app
// becomes visible, right after a capture and on a timer, with exponential backoff and jitter
// after failures. Background Sync only wakes the page where the browser has it (a bonus).
// One sync at a time, across tabs too (Web Locks).
import { ApiError, AuthRequired, NetworkError } from '../api.js'
import { emit, on } from '../events.js'
import { getSession } from '../session.js'
import { db, getMeta, setMeta } from '../store.js'
import { pullChanges } from './pull.js'
import { pushOutbox } from './push.js'

const POLL_MS = 3 * 60_000 // nothing queued: look for round changes this often
const BACKOFF_BASE_MS = 5_000
const BACKOFF_MAX_MS = 5 * 60_000
export const STALE_MS = 2 * 60 * 60_000 // work unsynced this long gets a warning

const state = { running: false, failures: 0, error: null, nextAt: null }
let timer = null
let current = null
let again = false

/** Backoff with full jitter: 0.5–1.5 × base·2^(n-1), capped. */
export function backoff(failures, random = Math.random) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1))
  return Math.round(base * (0.5 + random()))
}

function schedule(ms) {
  clearTimeout(timer)
  state.nextAt = Date.now() + ms
  timer = setTimeout(() => run('timer'), ms)
}

export function syncSoon() {
  clearTimeout(timer)
  timer = setTimeout(() => run('soon'), 50)
}

async function once() {
  const pushed = await pushOutbox()
  await pullChanges()
  return pushed
}

/** Run `task` under the sync lock: no push is in flight meanwhile (in this tab or another). */
export function exclusive(task) {
  return navigator.locks ? navigator.locks.request('postround-sync', task) : task()
}

async function run() {
  if (current) {
    again = true
    return current
  }
  clearTimeout(timer)
  const session = await getSession()
  if (!session || session.needs_login) return publish() // waits for a sign-in: no calls, no 401s
  if (!navigator.onLine) {
    state.error = 'offline'
    schedule(POLL_MS)
    return publish()
  }
  state.running = true
  publish()
  current = exclusive(once)
  try {
    const result = await current
    state.failures = result.stuck ? state.failures + 1 : 0
    state.error = result.stuck ? `stuck:${result.stuck}` : null
    await setMeta('last_sync_at', Date.now())
  } catch (error) {
    state.failures += 1
    state.error = describe(error)
    if (!(error instanceof NetworkError || error instanceof AuthRequired || error instanceof ApiError)) {
      console.error('sync failed', error)
    }
  } finally {
    current = null
    state.running = false
  }
  const session2 = await getSession()
  if (session2?.needs_login) {
    clearTimeout(timer)
    state.nextAt = null
  } else if (again) {
    again = false
    syncSoon()
  } else {
    const queued = await (await db()).count('outbox')
    schedule(state.failures ? backoff(state.failures) : queued ? backoff(1) : POLL_MS)
  }
  return publish()
}

function describe(error) {
  if (error instanceof NetworkError) return 'network'
  if (error instanceof AuthRequired) return error.kind
  if (error instanceof ApiError)
    return error.kind === 'unsupported-protocol' ? 'update-needed' : `server:${error.kind}`
  return 'internal'
}

/** What the sync indicator shows. */
export async function snapshot() {
  const database = await db()
  const tx = database.transaction(['outbox', 'attention'])
  const [pending, attention] = await Promise.all([
    tx.objectStore('outbox').getAll(),
    tx.objectStore('attention').count(),
  ])
  const session = await getSession()
  return {
    running: state.running,
    online: navigator.onLine,
    pending: pending.length,
    oldest: pending.length ? Math.min(...pending.map((entry) => entry.created_at)) : null,
    attention,
    lastSync: (await getMeta('last_sync_at')) ?? null,
    error: state.error,
    nextAt: state.nextAt,
    needsLogin: session?.needs_login ?? null,
  }
}

async function publish() {
  const snap = await snapshot()
  emit('sync', snap)
  return snap
}

function requestBackgroundSync() {
  navigator.serviceWorker?.ready
    .then((registration) => registration.sync?.register('postround-outbox'))
    .catch(() => {}) // not supported (Safari, Firefox) or refused: the timer covers it
}

export function startSync() {
  addEventListener('online', () => syncSoon())
  addEventListener('offline', () => publish())
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncSoon()
  })
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'sync') syncSoon()
  })
  on('outbox', () => {
    requestBackgroundSync()
    syncSoon()
  })
  on('auth', (change) => {
    if (change.signedIn) {
      state.failures = 0
      state.error = null
      syncSoon()
    } else publish()
  })
  syncSoon()
}

export { publish as refreshSyncState, run as syncNow }
