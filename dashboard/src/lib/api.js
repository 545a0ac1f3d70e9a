// The dashboard's API client: the shared one (web/common/api.js) with the tokens in this tab's
// sessionStorage (lib/session.js), refreshed shortly before they expire and once more on a 401.
// When a refresh is refused the session ends and the sign-in form comes back (onSignedOut).
import { createApiClient, restCalls } from '@common/api.js'
import * as session from './session.js'

export { ApiError } from '@common/api.js'

const listeners = new Set()

/** Called with the AuthRequired error (its `reason`) when the session ends (refresh refused): the
 *  app keeps what was being typed and shows the login form saying why. */
export function onSignedOut(callback) {
  listeners.add(callback)
}

const client = createApiClient({
  name: 'dashboard',
  store: {
    read() {
      const current = session.load()
      return current
        ? { access: current.accessToken, refresh: current.refreshToken, expiresAt: current.expiresAt }
        : null
    },
    write: (tokens) => {
      session.save(tokens)
    },
    expired(kind, error) {
      session.clear()
      listeners.forEach((callback) => callback(error))
    },
  },
})

export const { get, page, post, put, patch, upload, blob } = restCalls(client)

export function login(username, password) {
  return client.login({ username, password })
}

export async function logout() {
  const current = session.load()
  session.clear()
  await client.logout(current?.refreshToken)
}
