// Building pages from data without innerHTML: h('button', {class: 'btn', onclick}, 'Text').
// Every text goes in as text, never as markup, so names and addresses from the server cannot
// inject anything.
const PROPERTIES = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'required', 'multiple'])

export function h(tag, props, ...children) {
  const element = document.createElement(tag)
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') element.className = value
    else if (key === 'dataset') Object.assign(element.dataset, value)
    // Through the CSSOM: a style attribute in markup is inline style, which the pages' CSP refuses.
    else if (key === 'style') element.style.cssText = String(value)
    else if (key.startsWith('on') && typeof value === 'function')
      element.addEventListener(key.slice(2), value)
    else if (PROPERTIES.has(key)) element[key] = value
    else element.setAttribute(key, value === true ? '' : String(value))
  }
  if (tag === 'input' && props?.type === 'date') {
    // The page's language for the browser's picker (dd/mm/yyyy: vi-VN and en-GB alike); an app that
    // wants it whatever the browser's language uses a dd/mm/yyyy text box instead (useTextDates).
    element.lang = document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN'
    if (textDates) dateBox(element)
  }
  append(element, children)
  return element
}

let textDates = false

/** Make every later `h('input', {type: 'date'})` a text box typed and shown as dd/mm/yyyy: the
 *  browser's own picker shows the format of the browser's language (mm/dd/yyyy in an English
 *  Chromium), not the page's. The box's `value` is still 'YYYY-MM-DD' (read and set), so a view
 *  uses it like a date input; a complete date typed fires `change` at once. */
export function useTextDates(on = true) {
  textDates = on
}

const pad = (n) => String(n).padStart(2, '0')

function isoDate(year, month, dayOfMonth) {
  const [y, m, d] = [Number(year), Number(month), Number(dayOfMonth)]
  const date = new Date(Date.UTC(y, m - 1, d))
  if (y < 1900 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return ''
  return `${y}-${pad(m)}-${pad(d)}`
}

/** "01/12/2026", "1/12/2026", "01.12.2026" or "2026-12-01" → "2026-12-01"; '' when not a date. */
export function parseDayText(text) {
  const typed = String(text ?? '').trim()
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(typed)
  if (m) return isoDate(m[1], m[2], m[3])
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(typed)
  return m ? isoDate(m[3], m[2], m[1]) : ''
}

function dateBox(element) {
  const native = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')
  const shown = (iso) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '')
    return m ? `${m[3]}/${m[2]}/${m[1]}` : iso || ''
  }
  const initial = native.get.call(element)
  element.type = 'text'
  element.inputMode = 'numeric'
  element.autocomplete = 'off'
  element.maxLength = 10
  element.placeholder = 'dd/mm/yyyy'
  element.dataset.date = ''
  Object.defineProperty(element, 'value', {
    configurable: true,
    get() {
      return parseDayText(native.get.call(this))
    },
    set(iso) {
      native.set.call(this, shown(iso))
    },
  })
  element.value = initial
  let told = element.value
  element.addEventListener('input', () => {
    const iso = element.value
    if (iso && iso !== told) {
      told = iso
      element.dispatchEvent(new Event('change', { bubbles: true }))
    }
  })
  // The browser's own change on leaving the box: only if it is news (and show the date as dd/mm/yyyy).
  element.addEventListener(
    'change',
    (event) => {
      if (!event.isTrusted) return
      const iso = element.value
      if (iso) native.set.call(element, shown(iso))
      if (iso === told) event.stopImmediatePropagation()
      else told = iso
    },
    true,
  )
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    element.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return element
}

export function replace(element, ...children) {
  element.replaceChildren()
  return append(element, children)
}

let uid = 0
/** A page-unique id for pairing a <label for> with its control. */
export function newId(prefix = 'f') {
  uid += 1
  return `${prefix}-${uid}`
}

/** Tell screen-reader users what changed, in the page's one polite live region (#announcer). */
export function announce(message) {
  const region = document.getElementById('announcer')
  if (region) region.textContent = message
}
