// The signed-in supervisor's (or agency officer's: the agency portal) tokens, kept in sessionStorage
// (gone when the tab closes).
const KEY = 'postround.dashboard.session'
const STAFF = ['admin', 'supervisor']
// Who may sign in to the dashboard app: staff, and agency officers (their own portal's pages).
const USERS = [...STAFF, 'agency']

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

export function mayUse(u) {
  return Boolean(u && USERS.includes(u.role))
}

/** The role a view is for: staff's pages, or the agency portal's. */
export function audience(u) {
  return u?.role === 'agency' ? 'agency' : 'staff'
}
