// Told when the round changes: what a pull added to today's round, took off it (reassigned to
// another postman, cancelled) or moved to another day, while the app is open. The first download
// (until its last page) tells nothing: it is the round itself, not a change to it.
import { localToday } from '@common/format.js'

/** Collects the changes of one pulled page; `note(kind, before, after)` is called as items are applied. */
export function changeWatcher(knownBefore, roundsAfter) {
  const today = new Set(roundsAfter.filter((r) => r.date === localToday()).map((r) => r.id))
  const changes = []
  const describe = (kind, item) => ({ kind, id: item.id, code: item.code, name: item.recipient_name })
  return {
    changes,
    /** `before`: the phone's copy (or none); `after`: the pulled row (or none when removed). */
    note(before, after) {
      if (!knownBefore) return
      const was = before != null && today.has(before.round_id)
      const is = after != null && today.has(after.round_id)
      if (is && !was) changes.push(describe('added', after))
      else if (was && !after) changes.push(describe('removed', before))
      else if (was && !is) changes.push(describe('moved', after))
    },
  }
}
