// A failed attempt: a reason code, a note, an optional photo, the next attempt date.
import { t } from '../i18n.js'
import { localToday } from '@common/format.js'
import { addWorkingDays, DEFAULT_CALENDAR } from '../workdays.js'
import { captureForm } from './capture.js'
import { dateField, photosField, radioGroup, textArea } from './fields.js'

export const REASONS = [
  'not_home',
  'refused',
  'wrong_address',
  'moved',
  'no_valid_id',
  'no_authorisation',
  'cannot_pay',
  'unsafe_access',
  'other',
]

export function failForm(item, cal = DEFAULT_CALENDAR) {
  const reason = radioGroup({
    name: 'reason_code',
    legend: t('fail.reason'),
    value: null,
    required: true,
    options: REASONS.map((code) => [code, t(`reason.${code}`)]),
  })
  const note = textArea({ name: 'note', label: t('fail.note') })
  const photo = photosField({ name: 'photos', label: t('fail.photo') })
  const today = localToday()
  // The regulation: the next invitation counts only so many working days later (holidays skipped).
  const spacing = cal.reattempt_spacing_working_days ?? 2
  const next = dateField({
    name: 'next_attempt_date',
    label: t('fail.next'),
    value: addWorkingDays(today, spacing, cal),
    min: today,
    hint: t('fail.nextHint', { days: spacing }),
  })

  async function prepare(position) {
    await photo.settled()
    const errors = []
    if (!reason.value) errors.push(t('field.required', { label: t('fail.reason') }))
    if (reason.value === 'other' && !note.value) errors.push(t('fail.noteRequired'))
    if (errors.length) return { errors }
    const data = {
      reason_code: reason.value,
      note: note.value || null,
      next_attempt_date: next.value || null,
      ...position,
    }
    const summary = {
      reason_code: data.reason_code,
      note: data.note,
      next_attempt_date: data.next_attempt_date,
    }
    return { data, files: photo.files('photo'), summary }
  }

  const collect = item.direction === 'collect'
  return captureForm({
    type: 'fail',
    item,
    title: t(collect ? 'fail.titleCollect' : 'fail.title'),
    prepare,
    keep: { photo },
    fields: [reason, note, photo, next],
  })
}
