// The signed-in session, kept in IndexedDB so it survives reloads and opens offline.
// An expired session is only marked `needs_login`: the user, the round and the outbox stay.
import { emit } from './events.js'
import { db, getMeta, setMeta } from './store.js'

let cached

/** The session (cached in this tab); `fresh`: read it again, another tab may have changed it. */
export async function getSession({ fresh = false } = {}) {
  if (cached === undefined || fresh) cached = (await getMeta('session')) ?? null
  return cached
}

export async function saveSession(session) {
  await setMeta('session', session)
  cached = session
  return session
}

export async function markNeedsLogin(reason = 'session-expired') {
  const session = await getSession()
  if (!session || session.needs_login) return
  await saveSession({ ...session, needs_login: reason, access_token: null, refresh_token: null })
  emit('auth', { needsLogin: reason })
}

export async function clearSession() {
  await (await db()).delete('meta', 'session')
  cached = null
  emit('auth', { signedOut: true })
}
