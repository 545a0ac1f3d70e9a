// Pull: download the round with the server's cursor, page by page while `more` is true, and apply
// each page in one transaction with its cursor (docs/sync-protocol.md, "Pull"):
// - `reset`: the pages up to `more: false` are the whole scope; drop what they did not name,
//   except items with queued work (dropped once it is pushed);
// - `removed`: same deferral for items with queued work;
// - no flicker: an item with queued mutations above the server's `device_seq` keeps its local status;
// - `timezone`: the post office's zone, kept for offline starts (local dates, times).
import { setZone } from '@common/format.js'
import { requestJson } from '../api.js'
import { emit } from '../events.js'
import { changeWatcher } from '../roundchanges.js'
import { db, pendingByItem } from '../store.js'

const PAGE = 500

async function applyPage(page) {
  const names = ['items', 'rounds', 'procedures', 'agencies', 'meta', 'outbox']
  const tx = (await db()).transaction(names, 'readwrite')
  const [items, rounds, procedures, agencies, meta, outbox] = names.map((name) => tx.objectStore(name))
  const pending = pendingByItem(await outbox.getAll())
  const deferred = new Set((await meta.get('deferred_removals')) ?? [])
  let seen = (await meta.get('reset_seen')) ?? null // ids named since a reset began
  if (page.reset) {
    seen = []
    await rounds.clear()
  }
  for (const round of page.rounds) await rounds.put(round)
  // Changes are told on screen once a first download is complete (`round_known`).
  const watch = changeWatcher(Boolean(await meta.get('round_known')), await rounds.getAll())
  for (const itemId of page.removed) {
    watch.note(await items.get(itemId), null)
    if (pending.has(itemId)) deferred.add(itemId)
    else await items.delete(itemId)
  }
  for (const row of page.items) {
    const local = await items.get(row.id)
    watch.note(local, row)
    const item = { ...row, server_status: row.status }
    if (local && (pending.get(row.id) ?? 0) > page.device_seq) {
      item.status = local.status // the server has not seen our work on it yet
      for (const key of ['attempt_count', 'invitation_count', 'last_invitation_on', 'next_attempt_from']) {
        item[key] = local[key]
      }
    }
    await items.put(item)
    deferred.delete(row.id)
    seen?.push(row.id)
  }
  for (const procedure of page.procedures) await procedures.put(procedure)
  for (const agency of page.agencies) await agencies.put(agency)
  if (seen && !page.more) {
    const named = new Set(seen)
    for (const itemId of await items.getAllKeys()) {
      if (named.has(itemId)) continue
      watch.note(await items.get(itemId), null)
      if (pending.has(itemId)) deferred.add(itemId)
      else await items.delete(itemId)
    }
    seen = null
  }
  if (seen) await meta.put(seen, 'reset_seen')
  else await meta.delete('reset_seen')
  await meta.put([...deferred], 'deferred_removals')
  if (page.calendar) await meta.put(page.calendar, 'calendar') // working days for the next-attempt date
  await meta.put(page.cursor, 'cursor')
  if (!page.more) await meta.put(true, 'round_known')
  await meta.put(page.device_seq, 'pulled_device_seq')
  if (page.timezone) await meta.put(page.timezone, 'timezone')
  if (page.map) await meta.put(page.map, 'map') // the map screen's tile server (docs/pwa.md)
  await tx.done
  setZone(page.timezone) // the post office's zone: local dates and times follow the server
  if (watch.changes.length) emit('round-changed', watch.changes)
}

export async function pullChanges() {
  let cursor = await (await db()).get('meta', 'cursor')
  for (let n = 0; n < 1000; n += 1) {
    const query = new URLSearchParams({ limit: String(PAGE) })
    if (cursor) query.set('cursor', cursor)
    const page = await requestJson(`/api/sync/pull?${query}`)
    await applyPage(page)
    cursor = page.cursor
    if (!page.more) return
  }
}
