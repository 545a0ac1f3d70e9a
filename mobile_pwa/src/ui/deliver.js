// Return a result to the citizen: identity check, ID number, signature, photos, fees, position.
import { t } from '../i18n.js'
import { h } from '@common/dom.js'
import { maskId } from '@common/format.js'
import { readCccd, sameName } from '../scan.js'
import { captureForm, requiredErrors, signatureFiles } from './capture.js'
import { envelopeCheck } from './envelope.js'
import { scanButton } from './scanner.js'
import {
  checkbox,
  feeFields,
  photosField,
  radioGroup,
  signatureField,
  textArea,
  textField,
} from './fields.js'

const ID_NUMBER = /^[0-9A-Za-z]{6,20}$/

/** Other items at this door, ticked to be handed over with this one (same signature and photos). */
function togetherField(others) {
  const boxes = others.map((other) => ({
    other,
    box: checkbox({ name: `together-${other.id}`, label: `${other.recipient_name} · ${other.code}` }),
  }))
  const element = others.length
    ? h(
        'fieldset',
        { 'class': 'group together', 'data-field': 'together' },
        h('legend', null, t('deliver.together')),
        boxes.map((entry) => entry.box.element),
      )
    : null
  return {
    element,
    chosen: () => boxes.filter((entry) => entry.box.checked).map((entry) => entry.other),
    /** The envelope of another item at this door was scanned: tick it (true when it is one of them). */
    tick(code) {
      const entry = boxes.find((one) => one.other.code === code)
      if (!entry) return false
      if (!entry.box.checked) {
        entry.box.input.checked = true
        entry.box.input.dispatchEvent(new Event('change', { bubbles: true }))
      }
      return true
    },
  }
}

export function deliverForm(item, others = [], payees = {}) {
  const name = textField({
    name: 'receiver_name',
    label: t('deliver.name'),
    value: item.recipient_name,
    required: true,
    maxlength: 200,
    autocomplete: 'off',
  })
  const letter = photosField({ name: 'authorisation_letter', label: t('deliver.letter'), required: true })
  const idPhoto = photosField({ name: 'id_photo', label: t('deliver.idPhoto') })
  letter.element.hidden = true
  idPhoto.element.hidden = true
  const relation = radioGroup({
    name: 'receiver_relation',
    legend: t('deliver.who'),
    value: 'self',
    options: [
      ['self', t('deliver.self')],
      ['authorised', t('deliver.authorised')],
    ],
    onchange: (value) => {
      letter.element.hidden = idPhoto.element.hidden = value !== 'authorised'
      if (value === 'authorised' && name.input.value === item.recipient_name) name.input.value = ''
      if (value === 'self' && !name.input.value) name.input.value = item.recipient_name
      if (value === 'authorised' && !name.input.value) name.input.focus() // their name next, no tap
    },
  })
  const idNumber = textField({
    name: 'id_number',
    label: t('deliver.idNumber'),
    hint: t('deliver.idHint'),
    required: true,
    maxlength: 20,
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
  })
  // The CCCD's QR fills the ID number and says whether the card's name is the expected one (the
  // recipient, or the stand-in named in the letter); nothing else of the QR is kept.
  const idCheck = h('p', { class: 'id-check', role: 'status', hidden: true })
  const cccd = scanButton({
    name: 'cccd',
    label: t('scan.cccd'),
    accept: readCccd,
    onResult: ({ idNumber: number, name: cardName }) => {
      idNumber.input.value = number
      idNumber.input.dispatchEvent(new Event('input', { bubbles: true }))
      const standIn = relation.value === 'authorised'
      let filled = false
      if (standIn && !name.input.value) {
        name.input.value = cardName
        name.input.dispatchEvent(new Event('input', { bubbles: true }))
        filled = true
      }
      const expected = standIn ? name.input.value : item.recipient_name
      const match = sameName(cardName, expected)
      idCheck.textContent = filled
        ? t('id.fromCard')
        : t(match ? 'id.match' : 'id.mismatch', { card: cardName, name: expected })
      idCheck.dataset.match = String(filled || match)
      idCheck.hidden = false
    },
  })
  const signature = signatureField({ name: 'signature', label: t('deliver.signature') })
  const photos = photosField({ name: 'photos', label: t('deliver.photos'), required: true })
  const noPhoto = checkbox({
    name: 'no_photo',
    label: t('deliver.noPhoto'),
    onchange: (event) => photos.setRequired(!event.target.checked),
  })
  const fees = feeFields(item, payees)
  const note = textArea({ name: 'note', label: t('note') })
  const together = togetherField(others)
  const envelope = envelopeCheck(item, { tickOther: (code) => together.tick(code) })

  async function prepare(position) {
    await Promise.all([photos.settled(), letter.settled(), idPhoto.settled()])
    const errors = requiredErrors([name, idNumber])
    const number = idNumber.value.replace(/\s+/g, '').toUpperCase()
    if (number && !ID_NUMBER.test(number)) errors.push(t('field.idNumber'))
    const authorised = relation.value === 'authorised'
    if (authorised && !letter.count) errors.push(t('photo.letterRequired'))
    if (!photos.count && !noPhoto.checked) errors.push(t('photo.required'))
    errors.push(...fees.errors(), ...envelope.errors())
    const files = await signatureFiles([[signature, 'signature']], errors)
    if (errors.length) return { errors }
    files.push(...photos.files('photo'))
    if (authorised) files.push(...letter.files('authorisation_letter'), ...idPhoto.files('id_photo'))
    const noteText = [noPhoto.checked ? t('deliver.noPhoto') : '', envelope.note(), note.value]
      .filter(Boolean)
      .join(' — ')
      .slice(0, 1000)
    const data = {
      receiver_name: name.value,
      receiver_relation: relation.value,
      id_number: number,
      ...position,
      ...fees.data(),
      note: noteText || null,
    }
    const summary = {
      receiver_name: data.receiver_name,
      receiver_relation: data.receiver_relation,
      id_number_masked: maskId(number),
      ...fees.amounts(),
      receipt_number: data.receipt_number,
      photos: photos.count,
      envelope_check: envelope.result,
    }
    // Each item at the door is its own mutation, with its own fees, sharing the files.
    const more = together.chosen().map((other) => {
      const fee = {
        fee_collected: other.service_fee ?? 0,
        government_fee_collected: other.government_fee ?? 0,
      }
      return {
        itemId: other.id,
        data: { ...data, ...fee },
        summary: { ...summary, ...fee, together_with: item.id },
      }
    })
    return { data, files, summary, more }
  }

  return captureForm({
    type: 'deliver',
    item,
    prepare,
    keep: { signature, photos, letter, idPhoto },
    fields: [
      envelope,
      together,
      relation,
      name,
      cccd,
      idCheck,
      idNumber,
      letter,
      idPhoto,
      signature,
      photos,
      noPhoto,
      fees,
      note,
    ],
  })
}
