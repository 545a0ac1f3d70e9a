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
  // A date picker says which language's format it should show (dd/mm/yyyy: vi-VN and en-GB alike);
  // browsers that follow the page's language do, Chromium follows its own language setting.
  if (tag === 'input' && props?.type === 'date' && !props.lang)
    element.lang = document.documentElement.lang === 'en' ? 'en-GB' : 'vi-VN'
  append(element, children)
  return element
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
