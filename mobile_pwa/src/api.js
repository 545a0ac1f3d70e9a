// The API client: a fetch wrapper that adds the Bearer token and the protocol headers, turns
// problem+json answers into ApiError, and handles an expired access token by refreshing it ONCE
// and repeating the request. If the refresh is refused, the postman must sign in again:
// AuthRequired is thrown and nothing calls the API until they do (no 401 loop). The outbox is
// never touched here.
import { timeoutSignal } from './compat.js'
import { emit } from './events.js'
import { getSession, saveSession, markNeedsLogin } from './session.js'

export const APP_VERSION = __APP_VERSION__
export const PROTOCOL = 1
const TIMEOUT_MS = 30_000

export class NetworkError extends Error {
  constructor(cause) {
    super('network')
    this.name = 'NetworkError'
    this.cause = cause
  }
}

export class AuthRequired extends Error {
  constructor(kind = 'session-expired') {
    super(kind)
    this.name = 'AuthRequired'
    this.kind = kind
  }
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.problem = problem || {}
    this.kind = (problem?.type || '').split('/').pop() || `http-${status}`
  }
}

async function problemOf(response) {
  try {
    return await response.json()
  } catch {
    return null
  }
}

/** gzip a JSON body where the browser can (CompressionStream): pushes go over 2G. */
async function gzipped(text) {
  if (typeof CompressionStream === 'undefined' || text.length < 1024) return null
  try {
    return await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).blob()
  } catch {
    return null
  }
}

async function send(path, { method = 'GET', json, gzip = false, body, headers = {}, timeout = TIMEOUT_MS } = {}, token) {
  const all = { 'X-PostRound-Protocol': String(PROTOCOL), 'X-PostRound-App': APP_VERSION, ...headers }
  if (json !== undefined) {
    all['Content-Type'] = 'application/json'
    body = JSON.stringify(json)
    const packed = gzip ? await gzipped(body) : null
    if (packed) {
      all['Content-Encoding'] = 'gzip'
      body = packed
    }
  }
  if (token) all.Authorization = `Bearer ${token}`
  try {
    return await fetch(path, { method, headers: all, body, cache: 'no-store', credentials: 'omit',
      signal: timeoutSignal(timeout) })
  } catch (error) {
    throw new NetworkError(error)
  }
}

async function failed(response) {
  const problem = await problemOf(response)
  if (response.status === 403 && problem?.type?.endsWith('/device-revoked')) {
    await markNeedsLogin('device-revoked')
    throw new AuthRequired('device-revoked')
  }
  throw new ApiError(response.status, problem)
}

/** Sign in: no token yet, so no refresh logic. */
export async function postLogin(credentials) {
  const response = await send('/api/auth/login', { method: 'POST', json: credentials })
  if (!response.ok) throw new ApiError(response.status, await problemOf(response))
  return response.json()
}

let refreshing = null

/** Trade the refresh token for a new pair; concurrent callers share one refresh. */
async function refresh(usedToken) {
  const session = await getSession()
  if (!session || session.needs_login) throw new AuthRequired()
  if (session.access_token !== usedToken) return session // someone refreshed meanwhile
  refreshing ??= (async () => {
    const response = await send('/api/auth/refresh', { method: 'POST',
      json: { refresh_token: session.refresh_token } })
    if (response.status === 401 || response.status === 403) {
      const problem = await problemOf(response)
      const kind = problem?.type?.endsWith('/device-revoked') ? 'device-revoked' : 'session-expired'
      await markNeedsLogin(kind)
      throw new AuthRequired(kind)
    }
    if (!response.ok) throw new ApiError(response.status, await problemOf(response))
    const tokens = await response.json()
    emit('auth', { refreshed: true })
    return saveSession({ ...session, access_token: tokens.access_token, refresh_token: tokens.refresh_token })
  })().finally(() => {
    refreshing = null
  })
  return refreshing
}

/** An authenticated API call. Throws NetworkError, AuthRequired or ApiError. */
export async function request(path, options = {}) {
  const session = await getSession()
  if (!session || session.needs_login) throw new AuthRequired()
  let response = await send(path, options, session.access_token)
  if (response.status === 401) {
    const fresh = await refresh(session.access_token)
    response = await send(path, options, fresh.access_token)
    if (response.status === 401) {
      // A brand-new token refused: do not refresh again (that is how 401 loops start).
      await markNeedsLogin('session-expired')
      throw new AuthRequired()
    }
  }
  if (!response.ok) await failed(response)
  return response
}

export async function requestJson(path, options) {
  return (await request(path, options)).json()
}
