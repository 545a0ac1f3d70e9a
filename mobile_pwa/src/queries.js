// Read-only views of the local database for the screens.
import { db, pendingByItem } from './store.js'
import { fold, localToday } from '@common/format.js'

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

export const OPEN = new Set(['assigned', 'failed_attempt'])

/** Where a stop is, folded: items with the same key are at one address (one door). */
export function addressKey(item) {
  return fold([item.address_line, item.commune, item.province].filter(Boolean).join('|'))
}

async function roundItems(database, roundId) {
  const items = await database.getAllFromIndex('items', 'round_id', roundId)
  return items.sort((a, b) => (a.stop_order ?? 1e9) - (b.stop_order ?? 1e9) || a.id - b.id)
}

/** The stop to go to after saving at `id`: the next one in route order not visited yet (wrapping
 * round to the start of the round), or null when every stop has been worked. */
export async function nextOpenStop(id) {
  const database = await db()
  const item = await database.get('items', id)
  if (!item) return null
  const items = await roundItems(database, item.round_id)
  const at = items.findIndex((other) => other.id === id)
  const order = [...items.slice(at + 1), ...items.slice(0, Math.max(at, 0))]
  return order.find((other) => other.status === 'assigned') ?? null
}

/** Other open items to hand over at the same door (same address, same direction). */
export async function sameDoor(item) {
  if (item.round_id == null) return []
  const key = addressKey(item)
  return (await roundItems(await db(), item.round_id)).filter(
    (other) =>
      other.id !== item.id &&
      other.direction === item.direction &&
      OPEN.has(other.status) &&
      addressKey(other) === key,
  )
}

export async function itemView(id) {
  const database = await db()
  const item = await database.get('items', id)
  if (!item) return null
  const [procedure, agency, round, proofs, queued, attention] = await Promise.all([
    item.procedure_id != null ? database.get('procedures', item.procedure_id) : null,
    item.agency_id != null ? database.get('agencies', item.agency_id) : null,
    item.round_id != null ? database.get('rounds', item.round_id) : null,
    database.getAllFromIndex('proofs', 'item_id', id),
    database.getAllFromIndex('outbox', 'item_id', id),
    database.getAll('attention'),
  ])
  return {
    item,
    procedure,
    agency,
    // Who a VietQR transfer pays: the round's post office (service fee), the agency (government fee).
    payees: { service: round?.office?.bank ?? null, government: agency?.bank ?? null },
    proofs: proofs.sort((a, b) => a.seq - b.seq),
    queued,
    attention: attention.filter((entry) => entry.item_id === id),
    sameDoor: await sameDoor(item),
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
