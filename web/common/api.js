// The API client every web app uses: adds the Bearer token, turns problem+json answers
// (RFC 9457, backend/errors.py) into ApiError, and handles an expired access token by
// refreshing it ONCE and repeating the request. If the refresh is refused, the app's token
// store is told (`expired`) and AuthRequired is thrown; nothing loops on 401.
//
// Refresh tokens rotate and a reused one revokes the whole login (backend/auth/tokens.py), so two
// tabs must never spend the same one. A refresh runs under a Web Lock shared by every tab of the
// app; inside it the store is read afresh and, if another tab has already rotated the pair, its
// result is used instead of refreshing again. Tabs whose stores are private (sessionStorage)
// hear of a rotation over a BroadcastChannel and adopt the new pair.
//
// The token store is the app's: {read({fresh}) → {access, refresh, expiresAt?} | null,
// write(tokens) where tokens is the server's answer to /api/auth/refresh, expired(kind)}.

export class NetworkError extends Error {
  constructor(cause) {
    super('network')
    this.name = 'NetworkError'
    this.cause = cause
  }
}

export class ApiError extends Error {
  constructor(status, problem, statusText = '') {
    super(problem?.detail || problem?.title || statusText || `HTTP ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.problem = problem || {}
    this.kind = (problem?.type || '').split('/').pop() || `http-${status}`
  }

  /** Field or line errors (problem.errors) flattened to readable strings. */
  get messages() {
    const out = []
    const walk = (value, path) => {
      if (Array.isArray(value))
        value.forEach((v) => (typeof v === 'string' ? out.push(path ? `${path}: ${v}` : v) : walk(v, path)))
      else if (value && typeof value === 'object')
        Object.entries(value).forEach(([k, v]) => walk(v, path ? `${path}.${k}` : k))
    }
    walk(this.problem.errors, '')
    return out
  }
}

/** Signed out, expired or revoked: the user must sign in again. `kind`: session-expired | device-revoked;
 *  `problem`: the server's refusal, if any (its `code` and `params.reason` say why the login ended). */
export class AuthRequired extends ApiError {
  constructor(kind = 'session-expired', problem = null) {
    super(401, {
      type: `/problems/${kind}`,
      detail: kind === 'device-revoked' ? 'Device revoked.' : 'Session expired.',
    })
    this.name = 'AuthRequired'
    this.refusal = problem
  }

  /** Why the login ended: the server's reason (signed_out, password_changed, account_disabled,
   *  device_revoked, token_reused, expired, revoked), or 'expired' when it gave none. */
  get reason() {
    if (this.kind === 'device-revoked') return 'device_revoked'
    return (
      this.refusal?.params?.reason ||
      (this.refusal?.code === 'account-disabled' ? 'account_disabled' : 'expired')
    )
  }
}

const HANDOVER_MS = 150 // how long a rotation keeps the lock after telling the other tabs
const isRevoked = (problem) => Boolean(problem?.type?.endsWith('/device-revoked'))

async function problemOf(response) {
  try {
    return await response.json()
  } catch {
    return null
  }
}

/** '/api/items' + {status: ['a', 'b'], q: ''} → '/api/items?status=a&status=b' (empty values left out). */
export function withQuery(path, query) {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === '') continue
    ;(Array.isArray(value) ? value : [value]).forEach((v) => params.append(key, v))
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

/** An AbortSignal that fires after `ms` (AbortSignal.timeout needs Chrome 103). */
export function timeoutSignal(ms) {
  if (AbortSignal.timeout) return AbortSignal.timeout(ms)
  const controller = new AbortController()
  setTimeout(() => controller.abort(), ms)
  return controller.signal
}

/** gzip a JSON body where the browser can (CompressionStream); small bodies stay as they are. */
async function gzipped(text) {
  if (typeof CompressionStream === 'undefined' || text.length < 1024) return null
  try {
    return await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).blob()
  } catch {
    return null
  }
}

/**
 * @param {object} options
 *   name      the app, for the cross-tab lock and channel ('pwa', 'dashboard')
 *   store     the token store (see the top of this file)
 *   headers   headers on every request (e.g. the sync protocol's)
 *   fetchInit extra fetch() options on every request (e.g. {cache: 'no-store'})
 *   timeout   default ms before a request is abandoned (NetworkError); null: none
 */
export function createApiClient({ name, store, headers: baseHeaders = {}, fetchInit = {}, timeout = null }) {
  const lockName = `postround-auth-refresh:${name}`
  const channel =
    typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(`postround-auth:${name}`)
  let refreshing = null

  channel?.addEventListener('message', async ({ data }) => {
    const current = await store.read({ fresh: true })
    if (data?.type === 'refreshed' && current && current.refresh === data.from) await store.write(data.tokens)
  })

  async function send(
    path,
    { method = 'GET', json, gzip = false, body, headers = {}, timeout: ms = timeout } = {},
    token,
  ) {
    const all = { ...baseHeaders, ...headers }
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
      return await fetch(path, {
        ...fetchInit,
        method,
        headers: all,
        body,
        signal: ms ? timeoutSignal(ms) : undefined,
      })
    } catch (error) {
      throw new NetworkError(error)
    }
  }

  async function expire(kind, problem = null) {
    const error = new AuthRequired(kind, problem)
    await store.expired(kind, error)
    channel?.postMessage({ type: 'expired', kind })
    return error
  }

  async function rotate(usedAccess) {
    const current = await store.read({ fresh: true })
    if (!current) throw new AuthRequired()
    // Another tab (or call) refreshed meanwhile: take its pair, which may itself be old by now.
    if (current.access !== usedAccess) return { ...current, minted: false }
    const response = await send('/api/auth/refresh', {
      method: 'POST',
      json: { refresh_token: current.refresh },
    })
    if (response.status === 401 || response.status === 403) {
      const problem = await problemOf(response)
      throw await expire(isRevoked(problem) ? 'device-revoked' : 'session-expired', problem)
    }
    if (!response.ok) throw new ApiError(response.status, await problemOf(response), response.statusText)
    const tokens = await response.json()
    await store.write(tokens)
    if (channel) {
      channel.postMessage({ type: 'refreshed', from: current.refresh, tokens })
      // Keep the lock a moment: a tab waiting for it takes the new pair before it looks at its store.
      await new Promise((resolve) => setTimeout(resolve, HANDOVER_MS))
    }
    const rotated = await store.read({ fresh: true })
    if (!rotated) throw new AuthRequired()
    return { ...rotated, minted: true }
  }

  /** Trade the refresh token for a new pair: one refresh at a time in this tab and across tabs. */
  function refresh(usedAccess) {
    refreshing ??= (async () => {
      const locks = typeof navigator !== 'undefined' ? navigator.locks : null
      return locks ? locks.request(lockName, () => rotate(usedAccess)) : rotate(usedAccess)
    })().finally(() => {
      refreshing = null
    })
    return refreshing
  }

  async function failed(response) {
    const problem = await problemOf(response)
    if (response.status === 403 && isRevoked(problem)) throw await expire('device-revoked', problem)
    throw new ApiError(response.status, problem, response.statusText)
  }

  /** An authenticated call; resolves to the Response. Throws NetworkError, AuthRequired or ApiError. */
  async function request(path, options = {}) {
    let session = await store.read()
    if (!session) throw new AuthRequired()
    if (session.expiresAt != null && Date.now() > session.expiresAt) session = await refresh(session.access)
    let response = await send(path, options, session.access)
    // A token refused: refresh and repeat. A pair another tab minted a while ago may have expired
    // too, so it earns one more refresh; a pair minted here and refused at once ends the session
    // (refreshing again is how 401 loops start).
    for (let tries = 0; response.status === 401; tries += 1) {
      if (tries === 2) throw await expire('session-expired', await problemOf(response))
      const fresh = await refresh(session.access)
      response = await send(path, options, fresh.access)
      if (response.status === 401 && fresh.minted) {
        throw await expire('session-expired', await problemOf(response))
      }
      session = fresh
    }
    if (!response.ok) await failed(response)
    return response
  }

  const json = async (path, options) => {
    const response = await request(path, options)
    return response.status === 204 ? null : response.json()
  }

  return {
    request,
    json,
    /** Sign in: no token yet, so no refresh logic. Resolves to the server's tokens and user. */
    async login(credentials) {
      const response = await send('/api/auth/login', { method: 'POST', json: credentials })
      if (!response.ok) throw new ApiError(response.status, await problemOf(response), response.statusText)
      return response.json()
    },
    /** End the login on the server (best effort: signing out works offline too). */
    logout(refreshToken) {
      if (!refreshToken) return Promise.resolve()
      return send('/api/auth/logout', { method: 'POST', json: { refresh_token: refreshToken } }).catch(
        () => {},
      )
    },
  }
}

/** The REST conveniences over a client: get/post/put JSON, upload a file, fetch a blob. */
export function restCalls(client) {
  const { json, request } = client
  return {
    get: (path, query) => json(withQuery(path, query)),
    /** One page of a list: its rows and the total the server counted (X-Total-Count). */
    async page(path, query) {
      const response = await request(withQuery(path, query))
      return { rows: await response.json(), total: Number(response.headers.get('X-Total-Count') || 0) }
    },
    /** `headers`: e.g. {'If-Match': version}, so a change made on a stale copy is refused (412). */
    post: (path, body, query, headers) =>
      json(withQuery(path, query), { method: 'POST', json: body, headers }),
    put: (path, body, headers) => json(path, { method: 'PUT', json: body, headers }),
    patch: (path, body, headers) => json(path, { method: 'PATCH', json: body, headers }),
    /** A file as a multipart `file` part; options in the query string. */
    upload(path, file, query) {
      const form = new FormData()
      form.append('file', file, file.name)
      return json(withQuery(path, query), { method: 'POST', body: form })
    },
    /** A binary answer (PDF, image, export) as a Blob plus the file name the server suggests;
     *  with `body`, POSTed as JSON (e.g. the items to print). */
    async blob(path, query, body) {
      const init = body === undefined ? {} : { method: 'POST', json: body }
      const response = await request(withQuery(path, query), init)
      const disposition = response.headers.get('Content-Disposition') || ''
      return { blob: await response.blob(), name: /filename="([^"]+)"/.exec(disposition)?.[1] }
    },
  }
}
