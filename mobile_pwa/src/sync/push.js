// Push: send the outbox oldest first, files before the mutations that name them, in batches capped
// by count and bytes; then apply every mutation's own outcome (docs/sync-protocol.md, "Push").
// A batch's files cost few round trips: one check, one request for the small ones, the large ones
// a few at a time (upload.js).
import { APP_VERSION, ApiError, PROTOCOL, requestJson } from '../api.js'
import { db } from '../store.js'
import { checkFiles, eachBounded, groupSmall, PARALLEL_UPLOADS, uploadBlob, uploadGroup } from './upload.js'

const MAX_BATCH = 50
const MAX_BATCH_BYTES = 256 * 1024
const WIRE_KEYS = ['id', 'seq', 'type', 'v', 'at', 'item_id', 'data', 'attachments']

function wire(entry) {
  return Object.fromEntries(
    WIRE_KEYS.filter((key) => entry[key] !== undefined).map((key) => [key, entry[key]]),
  )
}

/** Record what became of one file: verified, or refused for good (it goes to "needs attention"). */
async function settle(sha256, result, entry) {
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

/** Upload what the server lacks of these entries' files: one check for all of them, then the small
 *  files together and the large ones, a few requests at a time. `onProgress(pending)` is called
 *  once the digests still to send are known and again each time a file is settled, so the caller
 *  can push the mutations whose files are all there without waiting for the others. Resolves to
 *  {pending, error}: the digests still not on the server, and what stopped them (null if nothing). */
async function uploadFiles(entries, onProgress = () => {}) {
  const database = await db()
  const owners = new Map() // sha256 → the first entry naming it
  for (const entry of entries)
    for (const { sha256 } of entry.attachments) if (!owners.has(sha256)) owners.set(sha256, entry)
  const records = []
  for (const sha256 of owners.keys()) {
    const record = await database.get('blobs', sha256)
    if (record && !record.verified && !record.refused) records.push(record)
  }
  const pending = new Set(records.map((record) => record.sha256))
  onProgress(pending)
  if (!records.length) return { pending, error: null }
  let known, smallBytes
  try {
    ;({ found: known, smallBytes } = await checkFiles([...pending]))
  } catch (error) {
    return { pending, error }
  }
  const done = async (sha256, result) => {
    await settle(sha256, result, owners.get(sha256))
    pending.delete(sha256)
    onProgress(pending)
  }
  const small = []
  const large = []
  for (const record of records) {
    if (known.get(record.sha256)?.verified) await done(record.sha256, true)
    else (record.blob.size <= smallBytes ? small : large).push(record)
  }
  const { groups, refused } = groupSmall(small)
  for (const [sha256, outcome] of refused) await done(sha256, outcome)
  // One queue, in the entries' order: the small files' groups and the large files go side by side,
  // so a mutation's files are in as early as they can be.
  let error = null
  const jobs = [
    ...groups.map((group) => async () => {
      for (const [sha256, outcome] of await uploadGroup(group)) {
        if (outcome.retry) error ??= new ApiError(outcome.problem?.status ?? 500, outcome.problem)
        else await done(sha256, outcome)
      }
    }),
    ...large.map(
      (record) => async () => done(record.sha256, await uploadBlob(record, known.get(record.sha256))),
    ),
  ]
  const failure = await eachBounded(jobs, PARALLEL_UPLOADS, (job) => job())
  return { pending, error: error ?? failure }
}

/** Files that a proof on the server still misses (an earlier upload failed): send them too. */
async function uploadLeftovers() {
  const records = await (await db()).getAll('blobs')
  const attachments = records.filter((r) => !r.verified && !r.refused).map((r) => ({ sha256: r.sha256 }))
  const { error } = await uploadFiles([{ attachments, item_id: null, type: null }])
  if (error) throw error
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

/** Send these entries (in seq order) and apply their outcomes. */
async function pushEntries(entries) {
  const body = await requestJson('/api/sync/push', {
    method: 'POST',
    gzip: true,
    json: { protocol: PROTOCOL, app_version: APP_VERSION, mutations: entries.map(wire) },
  })
  return { body, ...(await applyResults(entries, body)) }
}

/** Start uploading one batch's files (uploadFiles): the run's `pending` digests are kept up to date
 *  and handed to `listener` once a caller sets it, so the uploads may begin before anyone pushes. */
function startUploads(batch) {
  const run = { batch, pending: null, listener: () => {} }
  run.done = uploadFiles(batch, (pending) => {
    run.pending = pending
    run.listener(pending)
  })
  return run
}

/** Push one batch's mutations as their files come in (`run`, started by startUploads): each time the
 *  longest run of not-yet-pushed entries (in seq order, the server takes them so) has all its
 *  files, it goes, one push at a time, while the other files are still uploading. `uploaded()` is
 *  called once all of the batch's files are in, its last pushes perhaps still to come or in flight
 *  (the caller starts the next batch's uploads then). Resolves to {stuck} when the server keeps
 *  answering "retry later", or {} ; throws what stopped the batch. */
async function pushBatch(batch, run, uploaded = () => {}) {
  let sent = 0 // entries of the batch pushed so far (a prefix)
  let inFlight = null
  let halt = null // {stuck} or {renumbered}: push nothing more of this batch
  let failure = null
  let latest = new Set()
  const pushReady = (pending) => {
    latest = pending
    if (inFlight || halt || failure) return
    let end = sent
    while (end < batch.length && !batch[end].attachments.some(({ sha256 }) => pending.has(sha256))) end += 1
    if (end === sent) return
    const ready = batch.slice(sent, end)
    sent = end
    inFlight = pushEntries(ready)
      .then(({ body, settled, renumbered }) => {
        if (renumbered) halt = { renumbered }
        else if (!settled) {
          const reason = body.results.find((r) => r.outcome === 'rejected')?.reason ?? 'retry'
          halt = { stuck: reason }
        }
      })
      .catch((error) => {
        failure = error
      })
      .finally(() => {
        inFlight = null
        pushReady(latest)
      })
  }
  run.listener = pushReady
  if (run.pending) pushReady(run.pending)
  const { pending, error } = await run.done
  if (!error && !pending.size) uploaded()
  pushReady(pending)
  while (inFlight) await inFlight
  if (failure) throw failure
  if (halt?.stuck) return { stuck: halt.stuck }
  if (!halt && sent < batch.length) throw error ?? new ApiError(500, { title: 'Upload failed' })
  return {}
}

/** The next batch of the outbox, oldest first (after `afterSeq` if given), capped by count and bytes. */
async function readBatch(afterSeq = null) {
  const query = afterSeq === null ? null : IDBKeyRange.lowerBound(afterSeq, true)
  const entries = await (await db()).getAll('outbox', query, MAX_BATCH)
  const batch = []
  let bytes = 0
  for (const entry of entries) {
    const size = JSON.stringify(wire(entry)).length
    if (batch.length && bytes + size > MAX_BATCH_BYTES) break
    batch.push(entry)
    bytes += size
  }
  return batch
}

const sameEntries = (a, b) => a.length === b.length && a.every((entry, n) => entry.id === b[n].id)

/** Push the whole outbox. Returns {stuck: reason} when the server keeps answering "retry later".
 *  One batch ahead: once a batch's files are all in, the next batch's check and uploads start while
 *  this batch's last pushes are still on their way (uploads are idempotent; the pushes stay in seq
 *  order, one at a time, each mutation only once its own files are in). */
export async function pushOutbox() {
  let ahead = null // the next batch's uploads, started early
  let reading = null
  try {
    for (let round = 0; round < 100; round += 1) {
      const batch = await readBatch()
      if (!batch.length) break
      let run = ahead
      if (!run || !sameEntries(run.batch, batch)) {
        // The outbox moved under the early start (renumbered, or more queued): begin afresh; the
        // files the early start settled are skipped, as verified.
        await run?.done
        run = startUploads(batch)
      }
      ahead = null
      reading = null
      // Each mutation waits only for its own files; the first one whose files could not all be sent
      // holds back itself and the ones behind it (the server takes them in seq order).
      const { stuck } = await pushBatch(batch, run, () => {
        reading = readBatch(batch.at(-1).seq).then((next) => {
          if (next.length) ahead = startUploads(next)
        })
      })
      await reading
      if (stuck) return { stuck }
    }
  } finally {
    await reading?.catch(() => {})
    await ahead?.done.catch(() => {})
  }
  await uploadLeftovers()
  return {}
}
