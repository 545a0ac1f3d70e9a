// The phone's API client: the shared one (web/common/api.js) with the sync protocol's headers, a
// 30 s timeout, no HTTP cache, and the session in IndexedDB as its token store. A refused refresh
// only marks the session `needs_login`: the round and the outbox stay (session.js).
import { createApiClient } from '@common/api.js'
import { emit } from './events.js'
import { getSession, markNeedsLogin, saveSession } from './session.js'

export { ApiError, AuthRequired, NetworkError } from '@common/api.js'
export const APP_VERSION = __APP_VERSION__
export const PROTOCOL = 1

const client = createApiClient({
  name: 'pwa',
  headers: { 'X-PostRound-Protocol': String(PROTOCOL), 'X-PostRound-App': APP_VERSION },
  fetchInit: { cache: 'no-store', credentials: 'omit' },
  timeout: 30_000,
  store: {
    async read({ fresh = false } = {}) {
      const session = await getSession({ fresh })
      return session && !session.needs_login
        ? { access: session.access_token, refresh: session.refresh_token }
        : null
    },
    async write(tokens) {
      const session = await getSession({ fresh: true })
      if (!session) return
      await saveSession({
        ...session,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
      })
      emit('auth', { refreshed: true })
    },
    expired: (kind) => markNeedsLogin(kind),
  },
})

/** Sign in: no token yet, so no refresh logic. */
export const postLogin = client.login
export const postLogout = client.logout
/** An authenticated API call. Throws NetworkError, AuthRequired or ApiError. */
export const request = client.request
export const requestJson = client.json
