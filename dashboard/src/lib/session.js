// The signed-in supervisor's tokens, kept in sessionStorage (gone when the tab closes).
const KEY = 'postround.dashboard.session'
const STAFF = ['admin', 'supervisor']

export function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null
  } catch {
    return null
  }
}

export function save(tokens) {
  const session = {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    // Refresh a little before the access token runs out (clocks and slow requests).
    expiresAt: Date.now() + Math.max(tokens.expires_in * 0.8, tokens.expires_in - 60) * 1000,
    user: tokens.user,
  }
  sessionStorage.setItem(KEY, JSON.stringify(session))
  return session
}

export function clear() {
  sessionStorage.removeItem(KEY)
}

export function user() {
  return load()?.user || null
}

export function isStaff(u) {
  return Boolean(u && STAFF.includes(u.role))
}
