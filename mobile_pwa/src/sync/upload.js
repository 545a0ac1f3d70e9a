// Attachments travel as raw bytes in chunks with Content-Range, named by their SHA-256. An upload
// resumes from what the server says it has (GET …/attachments/<sha>), so a cut connection costs
// at most one chunk.
import { ApiError, requestJson } from '../api.js'

export const CHUNK_BYTES = 128 * 1024
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
 *  returns {refused: reason} when the server will never take it. */
export async function uploadBlob(record) {
  const url = `/api/sync/attachments/${record.sha256}`
  const total = record.blob.size
  if (!total) return { refused: 'empty-file' }
  const status = await requestJson(url)
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
