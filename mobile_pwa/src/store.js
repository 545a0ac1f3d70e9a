// The phone's database (IndexedDB through idb). The whole schema lives in upgrade().
//
//   meta        key → value: device_id, seq (last mutation number), session, cursor, sync state
//   rounds      pulled rounds                      {id, date, status, note, total_distance_m}
//   items       pulled items + local status        {...pull row, server_status, status}
//   procedures  pulled procedures with checklists
//   agencies    pulled agencies
//   outbox      mutations waiting to be pushed, by seq (the protocol's wire shape + bookkeeping)
//   proofs      what the postman captured, for the screens (no full ID number)
//   blobs       signatures and photos by SHA-256   {sha256, blob, type, size, verified, refused}
//   attention   rejected or flagged work, with the server's reason
//   drafts      half-filled capture forms by '<item id>/<kind>' (v2): field values, photos, strokes
import { openDB } from 'idb'
import { uuid } from './compat.js'

export const DB_NAME = 'postround'
const DB_VERSION = 2

let opening = null

function createV1(database) {
  database.createObjectStore('meta')
  database.createObjectStore('rounds', { keyPath: 'id' })
  database.createObjectStore('items', { keyPath: 'id' }).createIndex('round_id', 'round_id')
  database.createObjectStore('procedures', { keyPath: 'id' })
  database.createObjectStore('agencies', { keyPath: 'id' })
  database.createObjectStore('outbox', { keyPath: 'seq' }).createIndex('item_id', 'item_id')
  database.createObjectStore('proofs', { keyPath: 'id' }).createIndex('item_id', 'item_id')
  database.createObjectStore('blobs', { keyPath: 'sha256' })
  database.createObjectStore('attention', { keyPath: 'id' })
}

export function db() {
  opening ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) createV1(database)
      if (oldVersion < 2) database.createObjectStore('drafts')
    },
    blocking() {
      // A newer version of the app wants to upgrade the schema: let it, and reload onto it.
      opening?.then((database) => database.close())
      opening = null
      location.reload()
    },
  }).catch((error) => {
    opening = null
    throw error
  })
  return opening
}

export async function getMeta(key) {
  return (await db()).get('meta', key)
}

export async function setMeta(key, value) {
  return (await db()).put('meta', value, key)
}

export async function all(storeName) {
  return (await db()).getAll(storeName)
}

export async function get(storeName, key) {
  return (await db()).get(storeName, key)
}

/** The phone's stable id, made once on first start and kept (the protocol's device_id). */
export async function deviceId() {
  const tx = (await db()).transaction('meta', 'readwrite')
  let id = await tx.store.get('device_id')
  if (!id) {
    id = `pwa-${uuid()}`
    await tx.store.put(id, 'device_id')
  }
  await tx.done
  return id
}

/** Item ids with queued work, and the highest queued seq for each. */
export function pendingByItem(outboxEntries) {
  const pending = new Map()
  for (const entry of outboxEntries) {
    if (entry.item_id == null) continue
    pending.set(entry.item_id, Math.max(pending.get(entry.item_id) ?? 0, entry.seq))
  }
  return pending
}

/** Ask the browser not to evict our data under storage pressure (asked once, remembered). */
export async function askPersistentStorage() {
  if (!navigator.storage?.persist) return false
  if (await navigator.storage.persisted()) return true
  try {
    return await navigator.storage.persist()
  } catch {
    return false
  }
}

export async function storageInfo() {
  const persisted = navigator.storage?.persisted ? await navigator.storage.persisted() : false
  const estimate = navigator.storage?.estimate ? await navigator.storage.estimate() : {}
  return { persisted, usage: estimate.usage ?? null, quota: estimate.quota ?? null }
}

/** Delete everything (sign-out with nothing left to send). */
export async function wipe() {
  const database = await db()
  const names = [...database.objectStoreNames].filter((name) => name !== 'meta')
  const tx = database.transaction([...names, 'meta'], 'readwrite')
  const keep = {
    device_id: await tx.objectStore('meta').get('device_id'),
    seq: await tx.objectStore('meta').get('seq'),
  }
  await Promise.all([...names, 'meta'].map((name) => tx.objectStore(name).clear()))
  // The device id and its sequence counter outlive a sign-out: numbers are never reused.
  if (keep.device_id) await tx.objectStore('meta').put(keep.device_id, 'device_id')
  if (keep.seq) await tx.objectStore('meta').put(keep.seq, 'seq')
  await tx.done
}
