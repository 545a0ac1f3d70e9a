// Form fields with their labels, for the dashboard's forms.
import { h, newId } from '@common/dom.js'
import { signaturePad } from '@common/signature.js'

/** A <select> with options [{value, label, disabled}] and a label. */
export function selectField(label, name, options, { value, required, onchange } = {}) {
  const id = newId(`f-${name}`)
  const select = h(
    'select',
    { id, name, required, onchange },
    options.map((o) =>
      h(
        'option',
        { value: o.value, disabled: o.disabled, selected: String(o.value) === String(value) },
        o.label,
      ),
    ),
  )
  return { field: h('div', { class: 'field' }, h('label', { for: id }, label), select), input: select }
}

/** A signature drawn on screen (web/common/signature.js), with a clear button. `pad.dataUrl()` is
 *  the PNG the server stores; `pad.isEmpty()` before sending. */
export function signatureField(label, name, { hint, clear }) {
  const id = newId(`f-${name}`)
  const canvas = h('canvas', { id, 'class': 'sig-canvas', 'role': 'img', 'aria-label': `${label}. ${hint}` })
  const pad = signaturePad(canvas)
  const field = h(
    'div',
    { 'class': 'field sig', 'data-field': name },
    h('span', { class: 'label' }, label),
    h('div', { class: 'sig-box' }, canvas, h('span', { 'class': 'sig-hint', 'aria-hidden': 'true' }, hint)),
    h('button', { type: 'button', class: 'link', onclick: () => pad.clear() }, clear),
  )
  return { field, pad }
}
