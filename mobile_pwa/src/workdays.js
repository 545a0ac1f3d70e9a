// Working days on the phone, offline: Monday to Friday, minus the public holidays the server sent
// with the last full download (`calendar` in the pull, from backend/domain/workdays.py, Tết
// included). Used to date the next attempt: the regulation counts a second invitation only
// `reattempt_spacing_working_days` working days after the last one that counted.
import { getMeta } from './store.js'
import { addDays } from '@common/format.js'

export const DEFAULT_CALENDAR = {
  reattempt_spacing_working_days: 2,
  failed_attempt_limit: 3,
  required_invitations: 2,
  holidays: [],
}

export async function calendar() {
  return (await getMeta('calendar')) ?? DEFAULT_CALENDAR
}

export function isWorkingDay(isoDate, cal = DEFAULT_CALENDAR) {
  const weekday = new Date(`${isoDate}T12:00:00Z`).getUTCDay()
  return weekday !== 0 && weekday !== 6 && !(cal.holidays ?? []).includes(isoDate)
}

/** The date `count` working days after `isoDate` (the day itself not counted). */
export function addWorkingDays(isoDate, count, cal = DEFAULT_CALENDAR) {
  let day = isoDate
  for (let left = count, guard = 0; left > 0 && guard < 400; guard += 1) {
    day = addDays(day, 1)
    if (isWorkingDay(day, cal)) left -= 1
  }
  return day
}

/** The earliest day a new failed visit counts as the next invitation (null: it would be the first). */
export function nextAttemptFrom(lastInvitationOn, cal = DEFAULT_CALENDAR) {
  return lastInvitationOn
    ? addWorkingDays(lastInvitationOn, cal.reattempt_spacing_working_days ?? 2, cal)
    : null
}

/** What a failed visit today does to the item, as the server will decide it: the counters, and
 * `return_to_agency` once the attempt limit is reached and the regulation's invitations are made. */
export function afterFailedVisit(item, today, cal = DEFAULT_CALENDAR) {
  const earliest = nextAttemptFrom(item.last_invitation_on, cal)
  const counts = !earliest || today >= earliest
  const last = counts ? today : item.last_invitation_on
  const attempts = (item.attempt_count ?? 0) + 1
  const invitations = (item.invitation_count ?? 0) + (counts ? 1 : 0)
  const back = attempts >= (cal.failed_attempt_limit ?? 3) && invitations >= (cal.required_invitations ?? 2)
  return {
    status: back ? 'return_to_agency' : 'failed_attempt',
    attempt_count: attempts,
    invitation_count: invitations,
    last_invitation_on: last,
    next_attempt_from: nextAttemptFrom(last, cal),
  }
}
