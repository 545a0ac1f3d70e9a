// A refused request as a sentence for the supervisor: our words for known problems, plus the server's detail.
import { lang, t } from './i18n.js'

export function problemText(error) {
  const known =
    error.kind && t(`problem.${error.kind}`) !== `problem.${error.kind}` ? t(`problem.${error.kind}`) : null
  const detail = error.message || ''
  if (!known) return detail
  return lang() === 'vi' ? `${known} (${detail})` : detail
}
