// A refused request as a sentence in the user's language, worded from the problem's machine code
// and parameters (backend/errors.py: `code`, `params`), never from the server's English `detail`:
// `problem.<code>` filled with the params; a network failure or an unknown code has a generic
// sentence that names the code. In English an unknown code may show the server's detail. A problem
// that lacks a parameter its words need (one stored before problems carried parameters: an old
// finished job) is said with `problem.<code>.plain`, the words without it, and never shows "{attempts}".
import { day, money, number } from './format.js'
import { has, label, lang, t } from './i18n.js'

// Parameters that are codes of the shared vocabulary, said in words (status 'delivered' → "Đã phát").
const WORDED = ['status', 'event', 'direction', 'reason', 'outcome']
// Parameters that are counts, amounts in đồng, or days: in the user's form (1.000 · 26.000 ₫ · 01/12/2026).
const COUNTS = ['n', 'total', 'limit', 'bad', 'attempts', 'matching']
const AMOUNTS = ['service_fee', 'government_fee']
const DAYS = ['date', 'date_from', 'date_to']

/** The problem's code: `code`, or the last part of `type` (older servers), or http-<status>. */
export function problemCode(error) {
  return error?.problem?.code || error?.kind || (error?.status ? `http-${error.status}` : 'unknown')
}

function filled(params = {}) {
  const out = { ...params }
  for (const family of WORDED) if (typeof out[family] === 'string') out[family] = label(family, out[family])
  for (const key of COUNTS) if (typeof out[key] === 'number') out[key] = number(out[key])
  for (const key of AMOUNTS) if (typeof out[key] === 'number') out[key] = money(out[key])
  for (const key of DAYS) if (typeof out[key] === 'string' && out[key]) out[key] = day(out[key])
  if (Array.isArray(out.fields))
    out.fields = out.fields.map((f) => (has(`apiField.${f}`) ? t(`apiField.${f}`) : f)).join(', ')
  return out
}

/** `key`'s words filled with `params`; when one they name is missing, the key's `.plain` words (without
 *  it), else the words with an ellipsis in its place. */
function worded(key, params) {
  const missing = [...t(key).matchAll(/\{(\w+)\}/g)].some(([, name]) => params[name] == null)
  if (!missing) return t(key, params)
  if (has(`${key}.plain`)) return t(`${key}.plain`, params)
  return t(key, {
    ...Object.fromEntries([...t(key).matchAll(/\{(\w+)\}/g)].map(([, n]) => [n, '…'])),
    ...params,
  })
}

export function problemMessage(error) {
  if (!error) return ''
  if (error.name === 'NetworkError') return t('problem.network')
  const code = problemCode(error)
  const params = filled(error.problem?.params)
  // About one item: the variant that names it ("problem.illegal-transition.item"), if there is one.
  if (params.item_code && has(`problem.${code}.item`)) return worded(`problem.${code}.item`, params)
  if (has(`problem.${code}`)) return worded(`problem.${code}`, params)
  if (error.status === undefined) return t('problem.unexpected')
  if (lang() === 'en' && error.problem?.detail) return error.problem.detail
  return t('problem.other', { code, status: error.status })
}
