// Collect a dossier at the citizen's home: tick the procedure's checklist (original / copy), note
// what is missing, seal in front of the citizen, both sign, collect the fees.
import { t } from '../i18n.js'
import { captureForm, requiredErrors, signatureFiles } from './capture.js'
import { envelopeCheck, sealScan } from './envelope.js'
import { feeFields, photosField, signatureField, textArea, textField } from './fields.js'
import { h, newId } from '@common/dom.js'

function checklistRows(procedure) {
  return (procedure?.checklist ?? []).map((paper) => {
    const id = newId('paper')
    const present = h('input', { id, type: 'checkbox', name: 'present' })
    const form = h(
      'select',
      { 'aria-label': t('collect.formOf', { name: paper.name }), 'name': 'form' },
      ['original', 'copy'].map((value) =>
        h('option', { value, selected: value === paper.form }, t(`form.${value}`)),
      ),
    )
    const row = h(
      'li',
      { 'class': 'paper', 'data-paper': paper.name },
      h(
        'div',
        { class: 'check' },
        present,
        h(
          'label',
          { for: id },
          paper.name,
          paper.required ? h('span', { 'class': 'req', 'aria-hidden': 'true' }, ' *') : null,
        ),
      ),
      form,
    )
    return { paper, row, present, form }
  })
}

export function collectForm(item, procedure, payees = {}) {
  const rows = checklistRows(procedure)
  const missing = textArea({ name: 'missing_papers', label: t('collect.missing') })
  const refreshMissing = () => {
    if (missing.input.dataset.edited) return
    missing.input.value = rows
      .filter((r) => r.paper.required && !r.present.checked)
      .map((r) => r.paper.name)
      .join('; ')
  }
  rows.forEach((r) => r.present.addEventListener('change', refreshMissing))
  missing.input.addEventListener('input', () => {
    missing.input.dataset.edited = '1'
  })
  refreshMissing()
  const checklist = h(
    'fieldset',
    { 'class': 'group checklist', 'data-field': 'checklist' },
    h('legend', null, t('collect.checklist')),
    rows.length
      ? h(
          'ul',
          { class: 'papers' },
          rows.map((r) => r.row),
        )
      : h('p', null, t('collect.noChecklist')),
  )
  const seal = textField({
    name: 'seal_number',
    label: t('collect.seal'),
    required: true,
    maxlength: 64,
    autocomplete: 'off',
  })
  const citizen = signatureField({ name: 'signature', label: t('collect.citizenSignature') })
  const postman = signatureField({ name: 'postman_signature', label: t('collect.postmanSignature') })
  const photos = photosField({ name: 'photos', label: `${t('collect.photos')} ${t('common.optional')}` })
  const fees = feeFields(item, payees)
  const note = textArea({ name: 'note', label: t('note') })
  const envelope = envelopeCheck(item)
  const scanSeal = sealScan(seal)

  async function prepare(position) {
    await photos.settled()
    const errors = [...requiredErrors([seal]), ...fees.errors(), ...envelope.errors()]
    const files = await signatureFiles(
      [
        [citizen, 'signature'],
        [postman, 'postman_signature'],
      ],
      errors,
    )
    if (errors.length) return { errors }
    files.push(...photos.files('photo'))
    const ticks = rows.map((r) => ({ name: r.paper.name, form: r.form.value, present: r.present.checked }))
    const data = {
      checklist: ticks,
      missing_papers: missing.value || null,
      seal_number: seal.value,
      ...position,
      ...fees.data(),
      note: [envelope.note(), note.value].filter(Boolean).join(' — ').slice(0, 1000) || null,
    }
    const summary = {
      seal_number: data.seal_number,
      present: ticks.filter((x) => x.present).length,
      papers: ticks.length,
      missing_papers: data.missing_papers,
      ...fees.amounts(),
      envelope_check: envelope.result,
    }
    return { data, files, summary }
  }

  return captureForm({
    type: 'collect',
    item,
    prepare,
    keep: { citizen, postman, photos },
    fields: [envelope, checklist, missing, scanSeal, seal, citizen, postman, photos, fees, note],
  })
}
