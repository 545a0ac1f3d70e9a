// Form fields with their labels, for the dashboard's forms.
import { h, newId } from '@common/dom.js'

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
