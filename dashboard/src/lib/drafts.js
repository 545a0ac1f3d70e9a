// What the supervisor was typing when their session ended, kept in this tab (sessionStorage) and
// put back after they sign in again: the page (its #hash), each field of the page by id, and why
// the session ended (shown on the sign-in form). Passwords and files are never kept.
const KEY = 'postround.dashboard.drafts'
const SKIP = new Set(['password', 'file', 'hidden', 'submit', 'button'])
const GENERATED = /-\d+$/

function find(field) {
  if (field.id) return document.getElementById(field.id)
  return document.querySelector(`main [name="${CSS.escape(field.name)}"]`)
}

export function keep(reason) {
  const fields = []
  for (const element of document.querySelectorAll('main input, main textarea, main select')) {
    if (SKIP.has(element.type)) continue
    const checkable = element.type === 'checkbox' || element.type === 'radio'
    if (checkable ? !element.checked : element.value === element.defaultValue) continue
    // A numbered id (newId: "f-12") is not the same field after a new render; its name is.
    const id = element.id && !GENERATED.test(element.id) ? element.id : null
    if (!id && !element.name) continue
    fields.push({
      id,
      name: element.name,
      value: element.value,
      checked: checkable ? element.checked : undefined,
    })
  }
  const saved = { hash: location.hash, fields, reason }
  try {
    sessionStorage.setItem(KEY, JSON.stringify(saved))
  } catch {
    // storage full or refused: the message still says why
  }
}

/** Why the last session ended, if it did ('' otherwise). */
export function endedBecause() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY))?.reason || ''
  } catch {
    return ''
  }
}

/** After signing in again: back to the page, and each kept field refilled once it is on the page
 *  (views load their lists asynchronously; tried for a few seconds). Calls done(n restored). */
export function restore(done) {
  let saved = null
  try {
    saved = JSON.parse(sessionStorage.getItem(KEY))
  } catch {
    saved = null
  }
  sessionStorage.removeItem(KEY)
  if (!saved) return
  if (saved.hash && location.hash !== saved.hash) location.hash = saved.hash
  const waiting = new Map(saved.fields.map((f, n) => [n, f]))
  let restored = 0
  const started = Date.now()
  const timer = setInterval(() => {
    for (const [n, field] of waiting) {
      const element = find(field)
      if (!element) continue
      if (field.checked !== undefined) element.checked = field.checked
      else element.value = field.value
      if (field.checked === undefined && element.value !== field.value) continue // options not loaded yet
      element.dispatchEvent(new Event('input', { bubbles: true }))
      element.dispatchEvent(new Event('change', { bubbles: true }))
      waiting.delete(n)
      restored += 1
    }
    if (!waiting.size || Date.now() - started > 5000) {
      clearInterval(timer)
      if (saved.fields.length) done(restored)
    }
  }, 200)
}
