// Scan to confirm: before a Save, the envelope's code (scanned, or typed) says whether this is the
// stop's item. A wrong code is said clearly and blocks the Save until the right one is scanned or
// the postman overrides it with a reason (kept in the proof's note). A code of another open item at
// the same door ticks that item instead (`tickOther`). No code at all does not block.
import { t } from '../i18n.js'
import { h } from '@common/dom.js'
import { itemCodeIn } from '../scan.js'
import { checkbox, textField } from './fields.js'
import { scanButton } from './scanner.js'

export function envelopeCheck(item, { tickOther = () => false } = {}) {
  const code = textField({
    name: 'envelope_code',
    label: t('envelope.code'),
    hint: t('envelope.hint'),
    maxlength: 13,
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
  })
  const verdict = h('p', { class: 'envelope-check', role: 'status', hidden: true })
  const reason = textField({
    name: 'envelope_reason',
    label: t('envelope.reason'),
    required: true,
    maxlength: 200,
  })
  const override = checkbox({
    name: 'envelope_override',
    label: t('envelope.override'),
    onchange: () => show(),
  })
  const overriding = h('div', { class: 'envelope-override', hidden: true }, override.element, reason.element)
  const scanned = () => itemCodeIn(code.input.value) ?? code.input.value.trim().toUpperCase()
  const state = () => (!scanned() ? 'none' : scanned() === item.code ? 'match' : 'mismatch')
  function show() {
    const now = state()
    element.dataset.state = now
    verdict.hidden = now === 'none'
    verdict.dataset.match = String(now === 'match')
    verdict.textContent =
      now === 'match'
        ? t('envelope.match', { code: item.code })
        : now === 'mismatch'
          ? t('envelope.mismatch', { scanned: scanned(), code: item.code })
          : ''
    overriding.hidden = now !== 'mismatch'
    reason.element.hidden = !override.checked
  }
  code.input.addEventListener('input', show)
  const scan = scanButton({
    name: 'envelope',
    label: t('envelope.scan'),
    accept: itemCodeIn,
    onResult: (found) => {
      if (found !== item.code && tickOther(found)) {
        verdict.hidden = false
        verdict.dataset.match = 'true'
        verdict.textContent = t('envelope.ticked', { code: found })
        return
      }
      code.input.value = found
      code.input.dispatchEvent(new Event('input', { bubbles: true }))
    },
  })
  const element = h(
    'fieldset',
    { 'class': 'group envelope', 'data-field': 'envelope', 'data-state': 'none' },
    h('legend', null, t('envelope.legend')),
    scan.element,
    code.element,
    verdict,
    overriding,
  )
  return {
    element,
    /** What blocks the Save: a wrong code not overridden, or an override without its reason. */
    errors() {
      show()
      if (state() !== 'mismatch') return []
      if (!override.checked) return [t('envelope.blocked', { scanned: scanned(), code: item.code })]
      return reason.value ? [] : [t('envelope.reasonRequired')]
    },
    /** The override, in the proof's note (the supervisor reads why). */
    note() {
      return state() === 'mismatch' && override.checked
        ? t('envelope.noted', { scanned: scanned(), code: item.code, reason: reason.value })
        : ''
    },
    /** `envelope_check` of the proof's summary on the phone: none, match, or overridden. */
    get result() {
      return state() === 'mismatch' ? 'overridden' : state()
    },
  }
}

/** The seal number's scan: any printed code, as read (cut to the field's 64 characters). */
export function sealScan(seal) {
  return scanButton({
    name: 'seal',
    label: t('envelope.scanSeal'),
    accept: (text) =>
      String(text ?? '')
        .trim()
        .slice(0, 64) || null,
    onResult: (text) => {
      seal.input.value = text
      seal.input.dispatchEvent(new Event('input', { bubbles: true }))
    },
  })
}
