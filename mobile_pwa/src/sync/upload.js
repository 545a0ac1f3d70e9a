// Attachments travel as raw bytes, named by their SHA-256 (docs/sync-protocol.md, "Attachments").
// A batch's files: one call asks what the server lacks (POST …/attachments/check); the small ones go
// together in one multipart request; the large ones in chunks with Content-Range, a few files at a
// time. An upload resumes from what the server says it has, so a cut connection costs at most one
// chunk per file in flight.
import { ApiError, NetworkError, requestJson } from '../api.js'

export const CHUNK_BYTES = 128 * 1024
// The server's SMALL_UPLOAD_BYTES (its default) until a check answer says what it is.
export const SMALL_FILE_BYTES = 256 * 1024
export const PARALLEL_UPLOADS = 4 // uploads in flight at once (batch uploads and large files together)
const MAX_PARTS = 200 // files in one batch upload (the server's limit)
const MAX_BATCH_UPLOAD_BYTES = 1024 * 1024 // one batch upload's body, far below MAX_UPLOAD_BYTES
const MAX_CHECK = 1000 // digests in one check
// The server will never accept these bytes: keep them on the phone and tell the postman.
const REFUSALS = new Set([
  'not-an-image',
  'image-too-large',
  'attachment-too-large',
  'chunk-out-of-range',
  'bad-digest',
  'bad-content-range',
])

/** Upload one blob record; true when the server has verified it. Throws on network/auth/server errors;
 *  returns {refused: reason} when the server will never take it. `known`: what the server said it
 *  has (from the batch check), so the upload does not ask again. */
export async function uploadBlob(record, known = null) {
  const url = `/api/sync/attachments/${record.sha256}`
  const total = record.blob.size
  if (!total) return { refused: 'empty-file' }
  const status = known ?? (await requestJson(url))
  if (status.verified) return true
  let offset = status.received > 0 && status.received < total ? status.received : 0
  let restarts = 0
  for (;;) {
    const end = Math.min(offset + CHUNK_BYTES, total)
    let answer
    try {
      answer = await requestJson(url, {
        method: 'PUT',
        body: record.blob.slice(offset, end),
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `bytes ${offset}-${end - 1}/${total}`,
        },
        timeout: 60_000,
      })
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      if (error.kind === 'offset-mismatch' && restarts < 3) {
        restarts += 1
        offset = Number(error.problem.received ?? error.problem.errors?.received?.[0] ?? 0)
        if (!(offset >= 0 && offset < total)) offset = 0
        continue
      }
      if (error.kind === 'hash-mismatch' && restarts < 1) {
        restarts += 1
        offset = 0
        continue
      }
      if (REFUSALS.has(error.kind) || error.kind === 'hash-mismatch')
        return { refused: error.kind, detail: error.message }
      throw error
    }
    if (answer.verified) return true
    if (!(answer.received > offset)) throw new ApiError(500, { title: 'Upload made no progress' })
    offset = answer.received
  }
}

/** What the server holds of these files, by digest: {received, verified} (one call per 1000), and
 *  the largest file its batch upload takes (`smallBytes`). */
export async function checkFiles(digests) {
  const found = new Map()
  let smallBytes = SMALL_FILE_BYTES
  for (let first = 0; first < digests.length; first += MAX_CHECK) {
    const answer = await requestJson('/api/sync/attachments/check', {
      method: 'POST',
      json: { digests: digests.slice(first, first + MAX_CHECK) },
    })
    for (const state of answer.attachments) found.set(state.sha256, state)
    if (Number.isInteger(answer.small_upload_bytes)) smallBytes = answer.small_upload_bytes
  }
  return { found, smallBytes }
}

/** Split small blob records into batch uploads of at most ~1 MiB (and MAX_PARTS files) each, in
 *  their order. Returns {groups, refused}: the groups, and a Map of records that can never go
 *  (empty files) to their outcome. */
export function groupSmall(records) {
  const refused = new Map()
  const groups = []
  let bytes = 0
  for (const record of records) {
    if (!record.blob.size) {
      refused.set(record.sha256, { refused: 'empty-file' })
      continue
    }
    const last = groups.at(-1)
    if (!last || last.length >= MAX_PARTS || bytes + record.blob.size > MAX_BATCH_UPLOAD_BYTES) {
      groups.push([record])
      bytes = record.blob.size
    } else {
      last.push(record)
      bytes += record.blob.size
    }
  }
  return { groups, refused }
}

/** Send one group of small files in one multipart request. Resolves to a Map sha256 → true |
 *  {refused, detail} | {retry: kind, problem} (a part the server could not take now); throws when
 *  the request itself failed. */
export async function uploadGroup(group) {
  const outcomes = new Map()
  const form = new FormData()
  for (const record of group) form.append(record.sha256, record.blob, record.sha256)
  const answer = await requestJson('/api/sync/attachments', {
    method: 'POST',
    body: form,
    timeout: 120_000,
  })
  for (const result of answer.attachments) {
    if (!result.sha256) continue
    const kind = (result.problem?.type ?? '').split('/').pop()
    outcomes.set(
      result.sha256,
      result.verified
        ? true
        : REFUSALS.has(kind) || kind === 'hash-mismatch'
          ? { refused: kind, detail: result.problem?.detail }
          : { retry: kind, problem: result.problem },
    )
  }
  return outcomes
}

/** Run `task` on each of `values`, at most `limit` at once; resolves when all have settled, to the
 *  first NetworkError (or other error) any of them threw, or null. */
export async function eachBounded(values, limit, task) {
  let next = 0
  let failure = null
  const worker = async () => {
    while (next < values.length) {
      const value = values[next]
      next += 1
      try {
        await task(value)
      } catch (error) {
        if (!failure || (failure instanceof NetworkError && !(error instanceof NetworkError))) failure = error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, values.length) }, worker))
  return failure
}
