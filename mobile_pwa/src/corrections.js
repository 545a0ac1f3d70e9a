// Correct and resend. Work the server refused (a rejected mutation under "needs attention") and work
// still waiting on the phone (a queued proof) open again in their form, filled in from what was sent
// or saved: the form's draft is seeded from the mutation, with `fixes` saying what it corrects.
// - a rejected mutation: the corrected one is a NEW mutation (new id, next seq); the attention entry
//   is deleted in the same transaction;
// - a queued one: corrected in place (same id and seq, so the sequence keeps no gap), under the sync
//   lock so no push is carrying it meanwhile; if it left in the meantime, the postman is told.
// What the server already took is corrected by the supervisor.
import { db } from './store.js'

// A form's photo fields by attachment kind (signatures are drawn again: strokes are not kept).
const PARTS = {
  deliver: { photo: 'photos', authorisation_letter: 'letter', id_photo: 'idPhoto' },
  collect: { photo: 'photos' },
  fail: { photo: 'photo' },
}

/** The draft values for a mutation's data, by the form's input keys (name#0, name=value#0). */
function valuesFrom(data) {
  const values = {}
  for (const [key, value] of Object.entries(data ?? {})) {
    if (value === null || value === undefined || typeof value === 'object') continue
    if (String(value).includes('*')) continue // a masked ID number: typed again
    values[`${key}#0`] = String(value)
    values[`${key}=${value}#0`] = true
  }
  return values
}

/** Seed the form's draft from `source` ({item_id, type, data, attachments}) and open the form. */
export async function startCorrection(source, fixes) {
  const database = await db()
  const parts = {}
  for (const { sha256, kind } of source.attachments ?? []) {
    const name = PARTS[source.type]?.[kind]
    const record = name ? await database.get('blobs', sha256) : null
    if (record?.blob) (parts[name] ??= []).push({ blob: record.blob, sha256 })
  }
  await database.put(
    'drafts',
    { values: valuesFrom(source.data), parts, fixes, saved_at: Date.now() },
    `${source.item_id}/${source.type}`,
  )
  location.hash = `#/item/${source.item_id}/${source.type}`
}
