// Sign in and out. Signing in again after an expiry keeps the round and the outbox.
import { postLogin, postLogout } from './api.js'
import { emit } from './events.js'
import { UserError } from './errors.js'
import { clearSession, getSession, saveSession } from './session.js'
import { askPersistentStorage, db, deviceId, wipe } from './store.js'

async function pendingCount() {
  return (await db()).count('outbox')
}

/** A phone handed to another postman gets a new device id (the old one stays with its owner). */
async function newDevice() {
  const tx = (await db()).transaction('meta', 'readwrite')
  await tx.store.delete('device_id')
  await tx.store.put(0, 'seq')
  await tx.done
  return deviceId()
}

export async function login(username, password) {
  username = username.trim().toLowerCase()
  const previous = await getSession()
  const pending = await pendingCount()
  if (previous && previous.username !== username && pending > 0) {
    throw new UserError('login.otherUserPending', {
      name: previous.user?.full_name || previous.username,
      n: pending,
    })
  }
  let device = await deviceId()
  let tokens
  try {
    tokens = await postLogin({ username, password, device_id: device, device_label: 'PostRound PWA' })
  } catch (error) {
    if (error.kind !== 'device-belongs-to-another-user' || pending > 0) throw error
    device = await newDevice()
    tokens = await postLogin({ username, password, device_id: device, device_label: 'PostRound PWA' })
  }
  if (previous && previous.user?.id !== tokens.user.id) await wipe() // another postman's round
  await saveSession({
    username,
    user: tokens.user,
    device_id: tokens.device_id,
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    needs_login: null,
    signed_in_at: Date.now(),
  })
  askPersistentStorage() // not awaited: the answer only matters for the storage warning
  emit('auth', { signedIn: true })
}

/** Sign out; refused while work is still waiting to be sent. */
export async function logout() {
  if (await pendingCount()) throw new UserError('logout.pending')
  const session = await getSession()
  postLogout(session?.refresh_token) // not awaited: signing out works offline too
  await wipe()
  await clearSession()
}
