// A handover record (biên bản bàn giao) on the phone, `#/handover`: hand dossiers and returned
// results to the agency, or take results from it. The items are ticked from the phone's items that
// the rules allow for the direction (handoverrules.js), or added by scanning each envelope's code
// (Code 128 or QR); a code that is not one of them says why. The seal number is scanned or typed, the
// agency's officer names themself and signs, a photo may be added. Saved offline as ONE `handover`
// mutation in the outbox's one transaction (docs/sync-protocol.md), with a draft like every form.
import { alreadyOnRecord, DIRECTIONS, mayHandOver } from '../handoverrules.js'
import { t } from '../i18n.js'
import { label } from '@common/i18n.js'
import { captureAll } from '../outbox.js'
import { itemCodeIn } from '../scan.js'
import { db } from '../store.js'
import { h, newId } from '@common/dom.js'
import { formDraft, nextOnEnter, onSave, requiredErrors, signatureFiles, swallowTaps } from './capture.js'
import { sealScan } from './envelope.js'
import { errorSummary, photosField, radioGroup, signatureField, textArea, textField } from './fields.js'
import { scanButton } from './scanner.js'
import { toast } from './toast.js'

const DRAFT_KEY = 'handover'

function lineRow(item) {
  const id = newId('line')
  const input = h('input', { id, 'type': 'checkbox', 'name': `line-${item.id}`, 'data-code': item.code })
  const row = h(
    'li',
    { 'class': 'check handover-line', 'data-item-id': item.id, 'hidden': true },
    input,
    h(
      'label',
      { for: id },
      h('strong', null, item.code),
      ` · ${item.recipient_name}`,
      h('span', { class: 'hint' }, ` · ${label('status', item.status)}`),
    ),
  )
  return { item, input, row }
}

export async function handoverScreen() {
  const database = await db()
  const [items, agencies, proofs] = await Promise.all([
    database.getAll('items'),
    database.getAll('agencies'),
    database.getAll('proofs'),
  ])
  const taken = alreadyOnRecord(proofs)
  const byCode = new Map(items.map((item) => [item.code, item]))
  const agencyName = (id) => agencies.find((a) => a.id === id)?.name ?? `#${id}`
  const offered = (direction, item) => mayHandOver(direction, item) && !taken.has(`${direction}/${item.id}`)
  const rows = items.filter((item) => DIRECTIONS.some((d) => offered(d, item))).map(lineRow)

  const direction = radioGroup({
    name: 'direction',
    legend: t('handover.direction'),
    options: DIRECTIONS.map((d) => [d, t(`handover.${d}`)]),
    value: 'post_to_agency',
    required: true,
    onchange: () => show(),
  })
  const agencyId = `agency-${newId()}`
  const agency = h(
    'select',
    { id: agencyId, name: 'agency_id' },
    h('option', { value: '' }, t('handover.agencyPick')),
    agencies.map((a) => h('option', { value: String(a.id) }, a.name)),
  )
  agency.addEventListener('change', () => show())
  agency.addEventListener('input', () => show()) // a restored draft announces itself as typing
  const agencyField = h(
    'div',
    { 'class': 'field', 'data-field': 'agency_id', 'data-required': 'true' },
    h(
      'label',
      { for: agencyId },
      t('handover.agency'),
      h('span', { 'class': 'req', 'aria-hidden': 'true' }, ' *'),
    ),
    agency,
  )
  const none = h('p', { class: 'hint', hidden: true }, t('handover.noItems'))
  const verdict = h('p', { class: 'envelope-check', role: 'status', hidden: true })
  const count = h('p', { 'class': 'hint', 'data-lines': '0' })
  const chosenDirection = () => direction.value ?? 'post_to_agency'
  const chosenAgency = () => (agency.value ? Number(agency.value) : null)
  const visible = (r) => offered(chosenDirection(), r.item) && r.item.agency_id === chosenAgency()
  const ticked = () => rows.filter((r) => r.input.checked && visible(r))

  function show() {
    if (!chosenAgency()) {
      // The agency of the first item the direction allows: one tap fewer on most days.
      const first = rows.find((r) => offered(chosenDirection(), r.item))
      if (first) agency.value = String(first.item.agency_id)
    }
    for (const r of rows) r.row.hidden = !visible(r)
    none.hidden = rows.some(visible)
    const n = ticked().length
    count.dataset.lines = String(n)
    count.textContent = t('handover.count', { n })
  }

  function say(text, ok) {
    verdict.hidden = false
    verdict.dataset.match = String(ok)
    verdict.textContent = text
  }

  /** A scanned envelope: tick it when it may go on this record, else say why not. */
  function scanned(code) {
    const item = byCode.get(code)
    const row = rows.find((r) => r.item.code === code)
    if (!item) return say(t('handover.notOnPhone', { code }), false)
    if (!row || !offered(chosenDirection(), item)) {
      const why = taken.has(`${chosenDirection()}/${item.id}`)
        ? t('handover.alreadyOnRecord', { code })
        : t('handover.notAllowed', {
            code,
            status: label('status', item.status),
            direction: t(`handover.${chosenDirection()}`),
          })
      return say(why, false)
    }
    if (item.agency_id !== chosenAgency()) {
      if (ticked().length)
        return say(t('handover.otherAgency', { code, agency: agencyName(item.agency_id) }), false)
      agency.value = String(item.agency_id) // the first envelope chooses the agency
      agency.dispatchEvent(new Event('change', { bubbles: true }))
    }
    if (row.input.checked) return say(t('handover.twice', { code }), true)
    row.input.checked = true
    row.input.dispatchEvent(new Event('change', { bubbles: true }))
    say(t('handover.added', { code, name: item.recipient_name }), true)
  }

  const scan = scanButton({
    name: 'handover-item',
    label: t('handover.scan'),
    accept: itemCodeIn,
    onResult: scanned,
  })
  const lines = h(
    'fieldset',
    { 'class': 'group handover-lines', 'data-field': 'lines', 'data-required': 'true' },
    h('legend', null, t('handover.items'), h('span', { 'class': 'req', 'aria-hidden': 'true' }, ' *')),
    scan.element,
    verdict,
    h(
      'ul',
      { class: 'plain' },
      rows.map((r) => r.row),
    ),
    none,
    count,
  )
  const seal = textField({
    name: 'seal_number',
    label: t('collect.seal'),
    maxlength: 64,
    autocomplete: 'off',
  })
  const officer = textField({
    name: 'officer_name',
    label: t('handover.officer'),
    required: true,
    maxlength: 200,
    autocomplete: 'off',
  })
  const signature = signatureField({ name: 'officer_signature', label: t('handover.signature') })
  const photos = photosField({ name: 'photos', label: `${t('handover.photo')} ${t('common.optional')}` })
  const note = textArea({ name: 'note', label: t('note') })
  const errors = errorSummary()
  const saveLabel = t('handover.save')
  const save = h(
    'button',
    { 'type': 'submit', 'class': 'btn btn-primary btn-block', 'data-action': 'save' },
    saveLabel,
  )
  const form = h(
    'form',
    { 'class': 'capture capture-handover', 'novalidate': true, 'aria-labelledby': 'screen-title' },
    errors.element,
    direction.element,
    agencyField,
    lines,
    sealScan(seal).element,
    seal.element,
    officer.element,
    signature.element,
    photos.element,
    note.element,
    save,
  )
  form.addEventListener('change', () => show())
  form.addEventListener('keydown', nextOnEnter)
  const draft = formDraft(form, DRAFT_KEY, { signature, photos })
  show()

  onSave({ form, save, saveLabel, errors, draft }, async () => {
    await photos.settled()
    const chosen = ticked()
    const problems = [...requiredErrors([officer])]
    if (!chosenAgency()) problems.push(t('field.required', { label: t('handover.agency') }))
    if (!chosen.length) problems.push(t('handover.noneTicked'))
    const files = await signatureFiles([[signature, 'signature']], problems)
    if (problems.length) return { errors: problems, title: t('save.errors') }
    files.push(...photos.files('photo'))
    errors.clear()
    const data = {
      direction: chosenDirection(),
      agency_id: chosenAgency(),
      officer_name: officer.value,
      lines: chosen.map((r) => ({ item_id: r.item.id })),
      note: note.value || null,
      seal_number: seal.value || null,
    }
    const summary = {
      direction: data.direction,
      agency_id: data.agency_id,
      officer_name: data.officer_name,
      seal_number: seal.value || null,
      item_ids: chosen.map((r) => r.item.id),
      codes: chosen.map((r) => r.item.code),
    }
    draft.stop()
    await captureAll([{ type: 'handover', data, files, summary }], { draft: draft.key })
    form.dataset.state = 'saved'
    toast(t('handover.saved', { n: chosen.length, agency: agencyName(data.agency_id) }))
    swallowTaps()
    location.hash = '#/sync'
    return {}
  })

  const screen = h(
    'section',
    { class: 'screen handover' },
    h('a', { href: '#/', class: 'back' }, `‹ ${t('common.back')}`),
    h('h1', { id: 'screen-title', tabindex: '-1' }, t('handover.title')),
    draft.note,
    form,
  )
  screen.isDirty = () => draft.dirty && form.dataset.state !== 'saved'
  screen.flushDraft = () => draft.flush()
  return { node: screen, title: t('handover.title'), cleanup: () => scan.stop() }
}
