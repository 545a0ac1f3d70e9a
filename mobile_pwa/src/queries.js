// Read-only views of the local database for the screens.
import { db, pendingByItem } from './store.js'
import { localToday } from '@common/format.js'

export const DONE = new Set(['delivered', 'collected', 'handed_to_agency'])
export const FAILED = new Set(['failed_attempt', 'return_to_agency', 'returned_to_agency'])

export async function rounds() {
  const all = await (await db()).getAll('rounds')
  return all.sort((a, b) => a.date.localeCompare(b.date))
}

/** The round to show: the chosen day's, else today's, else the nearest one. */
export function pickRound(list, day) {
  const today = localToday()
  return (
    list.find((r) => r.date === day) ??
    list.find((r) => r.date === today) ??
    [...list].sort(
      (a, b) =>
        Math.abs(Date.parse(a.date) - Date.parse(today)) - Math.abs(Date.parse(b.date) - Date.parse(today)),
    )[0] ??
    null
  )
}

export async function roundView(round) {
  const database = await db()
  const tx = database.transaction(['items', 'outbox', 'attention'])
  const [items, outbox, attention] = await Promise.all([
    round ? tx.objectStore('items').index('round_id').getAll(round.id) : [],
    tx.objectStore('outbox').getAll(),
    tx.objectStore('attention').getAll(),
  ])
  items.sort((a, b) => (a.stop_order ?? 1e9) - (b.stop_order ?? 1e9) || a.id - b.id)
  const pending = pendingByItem(outbox)
  const flagged = new Set(attention.map((entry) => entry.item_id))
  const counts = {
    todo: items.filter((i) => i.status === 'assigned').length,
    done: items.filter((i) => DONE.has(i.status)).length,
    failed: items.filter((i) => FAILED.has(i.status)).length,
    unsynced: outbox.length,
  }
  return { items, pending, flagged, counts }
}

export async function itemView(id) {
  const database = await db()
  const item = await database.get('items', id)
  if (!item) return null
  const [procedure, agency, proofs, queued, attention] = await Promise.all([
    item.procedure_id != null ? database.get('procedures', item.procedure_id) : null,
    item.agency_id != null ? database.get('agencies', item.agency_id) : null,
    database.getAllFromIndex('proofs', 'item_id', id),
    database.getAllFromIndex('outbox', 'item_id', id),
    database.getAll('attention'),
  ])
  return {
    item,
    procedure,
    agency,
    proofs: proofs.sort((a, b) => a.seq - b.seq),
    queued,
    attention: attention.filter((entry) => entry.item_id === id),
  }
}

export async function syncView() {
  const database = await db()
  const [outbox, attention, items] = await Promise.all([
    database.getAll('outbox'),
    database.getAll('attention'),
    database.getAll('items'),
  ])
  const byId = new Map(items.map((item) => [item.id, item]))
  return { outbox, attention: attention.sort((a, b) => b.created_at - a.created_at), byId }
}
