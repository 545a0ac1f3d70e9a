// Building the page from data without innerHTML: every text goes in as text, never as markup.

/** h('button', {class: 'x', onclick: fn, 'aria-label': '…'}, 'text', child, …) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    // Through the CSSOM: a style attribute in markup is inline style, refused by the page's CSP.
    else if (key === 'style') el.style.cssText = String(value);
    else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** Tell screen-reader users what changed (one polite live region for the page). */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = message;
}

/** A <select> with options [{value, label, disabled}] and a label. */
export function selectField(label, name, options, { value, required, onchange } = {}) {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 7)}`;
  const select = h('select', { id, name, required, onchange },
    options.map((o) => h('option', { value: o.value, disabled: o.disabled, selected: String(o.value) === String(value) }, o.label)));
  return { field: h('div', { class: 'field' }, h('label', { for: id }, label), select), input: select };
}

/** An <input> with its label. */
export function inputField(label, name, attrs = {}) {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 7)}`;
  const input = h('input', { id, name, ...attrs });
  return { field: h('div', { class: 'field' }, h('label', { for: id }, label), input), input };
}
