// Which of the phone's items a postman may put on a handover record (biên bản bàn giao), by
// direction: the phone's copy of the postman rows of backend/domain/handover_rules.py (with the state
// machine of backend/domain/status.py). The server checks again; this only offers what it will take.
//   post_to_agency: collected dossiers (or ones sent back) and results being returned, carried now;
//   agency_to_post: results the agency still holds (`registered`).
const RULES = {
  post_to_agency: { collect: ['collected', 'return_to_agency'], return: ['return_to_agency'] },
  agency_to_post: { return: ['registered'] },
}

export const DIRECTIONS = Object.keys(RULES)

/** Whether `item` (as the phone holds it) may go on a record of `direction`. */
export function mayHandOver(direction, item) {
  return Boolean(RULES[direction]?.[item.direction]?.includes(item.status))
}

/** The items already on a handover record saved on this phone (not rejected), by direction. */
export function alreadyOnRecord(proofs) {
  const taken = new Set()
  for (const proof of proofs) {
    if (proof.type !== 'handover' || proof.state === 'rejected') continue
    for (const id of proof.summary?.item_ids ?? []) taken.add(`${proof.summary.direction}/${id}`)
  }
  return taken
}
