// The durable outbox. A capture (deliver, collect, fail) writes its files, the proof shown on the
// screens, the outbox entry with the next per-device sequence number, and the item's new local
// status in ONE IndexedDB transaction. It resolves only once that transaction has committed: only
// then may the screen say "saved". Killing the tab at any moment leaves all of it or none of it.
import { uuid } from './compat.js'
import { UserError } from './errors.js'
import { emit } from './events.js'
import { db } from './store.js'
import { exclusive } from './sync/scheduler.js'
import { deviceTime, localToday } from '@common/format.js'
import { afterFailedVisit, DEFAULT_CALENDAR } from './workdays.js'

export const MUTATION_VERSION = 2
const LOCAL_STATUS = { deliver: 'delivered', collect: 'collected', fail: 'failed_attempt' }

/** A client-generated mutation id: 32 hex characters. */
export function newMutationId() {
  return uuid().replace(/-/g, '')
}

function storageError(error) {
  const name = error?.name || error?.inner?.name
  if (name === 'QuotaExceededError' || /quota/i.test(String(error?.message)))
    return new UserError('save.storageFull')
  return new UserError('save.failed', { detail: error?.message || String(error) })
}

/**
 * @param {object} work  {type, itemId, data, files: [{kind, sha256, blob}], summary}
 *   `data` is the protocol's mutation data; `summary` is what the screens show later (no full ID number).
 */
export async function capture(work) {
  return (await captureAll([work]))[0]
}

/**
 * Several captures in ONE transaction, each its own mutation with its own seq, in order: all of them
 * are saved or none (the items handed over together at one door, with one signature file). The
 * form's draft (`draft`: its key) is deleted in the same transaction. `fixes` (corrections.js):
 * `{attention: id}` the rejected work this corrects (its entry goes), `{outbox: seq}` the queued
 * mutation the first work replaces in place (same id and seq), under the sync lock.
 */
export async function captureAll(works, { draft, fixes } = {}) {
  if (fixes?.outbox) return exclusive(() => saveAll(works, draft, fixes))
  return saveAll(works, draft, fixes)
}

async function saveAll(works, draft, fixes) {
  const at = deviceTime()
  const now = Date.now()
  const saved = []
  let tx
  try {
    const stores = ['meta', 'blobs', 'outbox', 'proofs', 'items', 'drafts', 'attention']
    tx = (await db()).transaction(stores, 'readwrite')
    if (draft) await tx.objectStore('drafts').delete(draft)
    if (fixes?.attention) await tx.objectStore('attention').delete(fixes.attention)
    // The queued mutation being corrected: still on the phone, or it left while the form was open.
    const replaced = fixes?.outbox ? await tx.objectStore('outbox').get(fixes.outbox) : null
    if (fixes?.outbox && replaced?.item_id !== works[0].itemId) throw new UserError('correct.alreadySent')
    const meta = tx.objectStore('meta')
    const blobs = tx.objectStore('blobs')
    const cal = (await meta.get('calendar')) ?? DEFAULT_CALENDAR
    let seq = (await meta.get('seq')) ?? 0
    for (const [n, { type, itemId, data, files = [], summary = {} }] of works.entries()) {
      const inPlace = n === 0 && replaced
      const id = inPlace ? replaced.id : newMutationId()
      const attachments = files.map((file) => ({ sha256: file.sha256, kind: file.kind }))
      const mutationSeq = inPlace ? replaced.seq : seq + 1
      if (!inPlace) {
        seq = mutationSeq
        await meta.put(seq, 'seq')
      }
      for (const file of files) {
        const known = await blobs.get(file.sha256)
        if (!known) {
          await blobs.put({
            sha256: file.sha256,
            blob: file.blob,
            type: file.blob.type,
            size: file.blob.size,
            kind: file.kind,
            verified: false,
            created_at: now,
          })
        }
      }
      await tx.objectStore('outbox').put({
        id,
        seq: mutationSeq,
        type,
        v: MUTATION_VERSION,
        at,
        item_id: itemId,
        data,
        attachments,
        created_at: now,
        tries: 0,
      })
      await tx.objectStore('proofs').put({
        id,
        seq: mutationSeq,
        type,
        item_id: itemId,
        at,
        created_at: now,
        state: 'queued',
        summary,
        attachments,
      })
      // A mutation of no item (the day's cash handover) moves no item.
      const item = itemId == null ? null : await tx.objectStore('items').get(itemId)
      if (item && !inPlace) {
        await tx.objectStore('items').put({
          ...item,
          status: LOCAL_STATUS[type] ?? item.status,
          ...(type === 'fail' ? afterFailedVisit(item, localToday(), cal) : {}),
        })
      }
      saved.push({ id, seq: mutationSeq })
    }
    if (replaced) {
      // The corrected entry's old files that nothing queued names any more leave the phone.
      const named = new Set(
        (await tx.objectStore('outbox').getAll()).flatMap((e) => e.attachments.map((a) => a.sha256)),
      )
      for (const { sha256 } of replaced.attachments) if (!named.has(sha256)) await blobs.delete(sha256)
    }
    await tx.done
  } catch (error) {
    try {
      tx?.abort()
    } catch {
      // already finished or aborted
    }
    throw error instanceof UserError ? error : storageError(error)
  }
  for (const entry of saved) emit('outbox', { saved: entry.id, seq: entry.seq })
  return saved
}

/** The outbox in sequence order (the order the server must receive it in). */
export async function pendingEntries(limit) {
  return (await db()).getAll('outbox', null, limit)
}

export async function pendingCount() {
  return (await db()).count('outbox')
}
