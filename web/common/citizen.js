// The citizen's answer from the tracking link (docs/citizen.md), in the reader's language: the
// supervisor's item page and the postman's stop show the same sentence. null when there is none.
import { day } from './format.js'
import { t } from './i18n.js'

export function citizenAnswer(item) {
  const kind = item?.citizen_choice
  if (!kind) return null
  return t(`citizen.${kind}`, { day: day(item.citizen_day), name: item.stand_in_name ?? '' })
}
