// Push: send the outbox oldest first, files before the mutations that name them, in batches capped
// by count and bytes; then apply every mutation's own outcome (docs/sync-protocol.md, "Push").
import { APP_VERSION, NetworkError, PROTOCOL, requestJson } from '../api.js'
import { db } from '../store.js'
import { uploadBlob } from './upload.js'

const MAX_BATCH = 50
const MAX_BATCH_BYTES = 256 * 1024
const WIRE_KEYS = ['id', 'seq', 'type', 'v', 'at', 'item_id', 'data', 'attachments']

function wire(entry) {
  return Object.fromEntries(
    WIRE_KEYS.filter((key) => entry[key] !== undefined).map((key) => [key, entry[key]]),
  )
}

/** Upload the entry's files the server lacks; a file the server refuses goes to "needs attention". */
async function uploadFiles(entry) {
  for (const { sha256 } of entry.attachments) {
    const record = await (await db()).get('blobs', sha256)
    if (!record || record.verified || record.refused) continue
    const result = await uploadBlob(record)
    const tx = (await db()).transaction(['blobs', 'attention'], 'readwrite')
    const current = await tx.objectStore('blobs').get(sha256)
    if (current) {
      if (result === true) current.verified = true
      else current.refused = result.refused
      await tx.objectStore('blobs').put(current)
    }
    if (result !== true) {
      await tx.objectStore('attention').put({
        id: `file-${sha256}`,
        kind: 'file',
        reason: result.refused,
        detail: result.detail,
        item_id: entry.item_id,
        type: entry.type,
        created_at: Date.now(),
      })
    }
    await tx.done
  }
}

/** Files that a proof on the server still misses (an earlier upload failed): send them too. */
async function uploadLeftovers() {
  const records = await (await db()).getAll('blobs')
  for (const record of records.filter((r) => !r.verified && !r.refused)) {
    await uploadFiles({ attachments: [{ sha256: record.sha256 }], item_id: null, type: null })
  }
}

function scrub(data) {
  const copy = { ...data }
  if (copy.id_number)
    copy.id_number = `${'*'.repeat(Math.max(copy.id_number.length - 3, 0))}${copy.id_number.slice(-3)}`
  return copy
}

/** Apply the server's outcomes in one transaction. Returns how many entries left the outbox. */
async function applyResults(sent, body) {
  const bySeq = new Map(sent.map((entry) => [entry.seq, entry]))
  const tx = (await db()).transaction(
    ['outbox', 'proofs', 'items', 'attention', 'meta', 'blobs'],
    'readwrite',
  )
  const [outbox, proofs, items, attention, meta, blobs] = [
    'outbox',
    'proofs',
    'items',
    'attention',
    'meta',
    'blobs',
  ].map((name) => tx.objectStore(name))
  let settled = 0
  const touched = new Map() // item id → server status, applied once the outbox is updated
  for (const result of body.results) {
    const entry = bySeq.get(result.seq)
    if (!entry || entry.id !== result.id) continue
    const retryable = result.outcome === 'rejected' && result.retryable
    if (retryable) {
      await outbox.put({
        ...entry,
        tries: (entry.tries ?? 0) + 1,
        last_error: result.reason,
        last_try: Date.now(),
      })
      continue
    }
    settled += 1
    await outbox.delete(entry.seq)
    const proof = (await proofs.get(entry.id)) ?? { id: entry.id, item_id: entry.item_id, type: entry.type }
    const rejected = result.outcome === 'rejected'
    await proofs.put({
      ...proof,
      state: rejected ? 'rejected' : 'synced',
      synced_at: Date.now(),
      proof_id: result.proof_id ?? null,
      flag: result.flag ?? null,
      reason: result.reason ?? null,
    })
    if (rejected || result.flag) {
      await attention.put({
        id: entry.id,
        kind: rejected ? 'rejected' : 'flag',
        reason: rejected ? result.reason : result.flag,
        detail: result.detail ?? null,
        errors: result.errors ?? null,
        type: entry.type,
        item_id: entry.item_id,
        at: entry.at,
        seq: entry.seq,
        data: scrub(entry.data),
        attachments: entry.attachments,
        created_at: Date.now(),
      })
    }
    if (result.item) touched.set(result.item.id, result.item)
    else if (rejected && entry.item_id != null) touched.set(entry.item_id, null) // back to the server's status
    for (const sha256 of result.missing_attachments ?? []) {
      const record = await blobs.get(sha256)
      if (record && record.verified) await blobs.put({ ...record, verified: false })
    }
  }
  const remaining = await outbox.getAll()
  const stillPending = new Set(remaining.map((entry) => entry.item_id))
  for (const [itemId, serverItem] of touched) {
    const item = await items.get(itemId)
    if (!item) continue
    const next = { ...item }
    if (serverItem)
      Object.assign(next, { server_status: serverItem.status, attempt_count: serverItem.attempt_count })
    if (!stillPending.has(itemId)) next.status = next.server_status ?? next.status
    await items.put(next)
  }
  // Removals that waited for this work to be pushed (protocol: "removed").
  const deferred = (await meta.get('deferred_removals')) ?? []
  const keep = []
  for (const itemId of deferred) {
    if (stillPending.has(itemId)) keep.push(itemId)
    else await items.delete(itemId)
  }
  await meta.put(keep, 'deferred_removals')
  await meta.put(body.device_seq, 'device_seq')
  const renumbered = body.results.some((r) => r.reason === 'sequence-reused')
  if (renumbered) await renumber(outbox, proofs, meta, remaining, body.device_seq)
  // Files the server has verified and no queued mutation names any more: free the phone's storage.
  const named = new Set(remaining.flatMap((entry) => entry.attachments.map((a) => a.sha256)))
  for (const record of await blobs.getAll()) {
    if (record.verified && !named.has(record.sha256)) await blobs.delete(record.sha256)
  }
  await tx.done
  return { settled, renumbered }
}

/** The phone's counter went backwards (restored from a backup, reinstalled with the same device id):
 *  the server has spent these numbers on other mutations. Give the unsent ones, in their order, the
 *  numbers after the server's `device_seq`, in the same transaction as the counter. */
async function renumber(outbox, proofs, meta, remaining, deviceSeq) {
  const entries = [...remaining].sort((a, b) => a.seq - b.seq)
  for (const entry of entries) await outbox.delete(entry.seq)
  let seq = deviceSeq
  for (const entry of entries) {
    seq += 1
    await outbox.put({ ...entry, seq, renumbered_from: entry.renumbered_from ?? entry.seq })
    const proof = await proofs.get(entry.id)
    if (proof) await proofs.put({ ...proof, seq })
  }
  if (seq > ((await meta.get('seq')) ?? 0)) await meta.put(seq, 'seq')
}

/** Push the whole outbox. Returns {stuck: reason} when the server keeps answering "retry later". */
export async function pushOutbox() {
  for (let round = 0; round < 100; round += 1) {
    const entries = await (await db()).getAll('outbox', null, MAX_BATCH)
    if (!entries.length) break
    const batch = []
    let bytes = 0
    let interrupted = null
    for (const entry of entries) {
      const size = JSON.stringify(wire(entry)).length
      if (batch.length && bytes + size > MAX_BATCH_BYTES) break
      try {
        await uploadFiles(entry)
      } catch (error) {
        if (!(error instanceof NetworkError) || !batch.length) throw error
        interrupted = error // push what is ready, then stop
        break
      }
      batch.push(entry)
      bytes += size
    }
    const body = await requestJson('/api/sync/push', {
      method: 'POST',
      gzip: true,
      json: { protocol: PROTOCOL, app_version: APP_VERSION, mutations: batch.map(wire) },
    })
    const { settled, renumbered } = await applyResults(batch, body)
    if (interrupted) throw interrupted
    if (!settled && !renumbered) {
      const reason = body.results.find((r) => r.outcome === 'rejected')?.reason ?? 'retry'
      return { stuck: reason }
    }
  }
  await uploadLeftovers()
  return {}
}
