// A refused request as a sentence in the user's language, worded from the problem's machine code
// and parameters (backend/errors.py: `code`, `params`), never from the server's English `detail`:
// `problem.<code>` filled with the params; a network failure or an unknown code has a generic
// sentence that names the code. In English an unknown code may show the server's detail.
import { lang, t, has } from './i18n.js'

/** The problem's code: `code`, or the last part of `type` (older servers), or http-<status>. */
export function problemCode(error) {
  return error?.problem?.code || error?.kind || (error?.status ? `http-${error.status}` : 'unknown')
}

function filled(params = {}) {
  const out = { ...params }
  if (Array.isArray(out.fields))
    out.fields = out.fields.map((f) => (has(`apiField.${f}`) ? t(`apiField.${f}`) : f)).join(', ')
  return out
}

export function problemMessage(error) {
  if (!error) return ''
  if (error.name === 'NetworkError') return t('problem.network')
  const code = problemCode(error)
  const params = filled(error.problem?.params)
  if (has(`problem.${code}`)) return t(`problem.${code}`, params)
  if (error.status === undefined) return t('problem.unexpected')
  if (lang() === 'en' && error.problem?.detail) return error.problem.detail
  return t('problem.other', { code, status: error.status })
}
