// The frame every capture screen shares: the item's heading, the fields, the GPS line, one Save
// button. Save checks the fields, writes everything in one transaction (outbox.capture) and only
// then says "saved". On any error the form stays filled in.
import { UserError } from '../errors.js'
import { t } from '../i18n.js'
import { captureAll } from '../outbox.js'
import { nextOpenStop } from '../queries.js'
import { h } from '@common/dom.js'
import { errorSummary, gpsField } from './fields.js'
import { toast } from './toast.js'

/**
 * @param {object} spec {type, item, title, saveLabel, fields: [element], prepare: async () => ({errors} | work)}
 *   `prepare` returns {errors: [...]} or {data, files, summary, more}; it gets the GPS data to merge.
 *   `more`: [{itemId, data, summary}] saved in the same transaction with the same files (one door).
 */
export function captureForm({ type, item, title, saveLabel, fields, prepare }) {
  const gps = gpsField()
  const errors = errorSummary()
  const save = h(
    'button',
    { 'type': 'submit', 'class': 'btn btn-primary btn-block', 'data-action': 'save' },
    saveLabel,
  )
  let confirmedNoGps = false
  let busy = false
  const form = h(
    'form',
    { 'class': `capture capture-${type}`, 'novalidate': true, 'aria-labelledby': 'screen-title' },
    errors.element,
    fields,
    gps.element,
    save,
  )

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (busy) return
    busy = true
    form.dataset.state = 'saving'
    form.dataset.attempts = String(Number(form.dataset.attempts ?? 0) + 1)
    save.disabled = true
    save.textContent = t('save.busy')
    try {
      await gps.settle()
      const work = await prepare(gps.data())
      if (work.errors?.length) {
        form.dataset.state = 'error'
        errors.show(work.errors, t('save.errors'))
        return
      }
      if (!gps.fix && !confirmedNoGps) {
        confirmedNoGps = true // a second tap saves without a position: never block a delivery
        form.dataset.state = 'error'
        errors.show([t('gps.confirm')])
        return
      }
      errors.clear()
      const first = { itemId: item.id, data: work.data, summary: work.summary }
      await captureAll([first, ...(work.more ?? [])].map((one) => ({ type, files: work.files, ...one })))
      form.dataset.state = 'saved'
      const next = await nextOpenStop(item.id)
      toast(next ? t('save.okNext', { name: next.recipient_name }) : t('save.ok'))
      swallowTaps()
      location.hash = next ? `#/item/${next.id}` : '#/'
    } catch (error) {
      form.dataset.state = 'error'
      errors.show([
        error instanceof UserError ? t(error.key, error.params) : t('save.failed', { detail: error.message }),
      ])
    } finally {
      busy = false
      save.disabled = false
      save.textContent = saveLabel
    }
  })

  return h(
    'section',
    { class: 'screen' },
    h('a', { href: `#/item/${item.id}`, class: 'back' }, `‹ ${t('common.back')}`),
    h('h1', { id: 'screen-title', tabindex: '-1' }, title),
    h('p', { class: 'sub' }, `${item.recipient_name} · ${item.code}`),
    form,
  )
}

/** The second tap of a double tap on Save must not land on the next screen's buttons. */
function swallowTaps(ms = 600) {
  const block = (event) => {
    event.preventDefault()
    event.stopPropagation()
  }
  document.body.dataset.tapGuard = '1'
  document.addEventListener('click', block, true)
  setTimeout(() => {
    document.removeEventListener('click', block, true)
    delete document.body.dataset.tapGuard
  }, ms)
}

/** Collect the "fill in X" messages of required text fields that are empty. */
export function requiredErrors(fields) {
  return fields.filter((field) => !field.value).map((field) => t('field.required', { label: field.label }))
}

/** Signatures → files, turning an empty pad into a message instead of an exception. */
export async function signatureFiles(pairs, errors) {
  const files = []
  for (const [field, kind] of pairs) {
    if (field.isEmpty()) errors.push(t('signature.emptyField', { label: field.label }))
    else files.push(await field.toFile(kind))
  }
  return files
}
