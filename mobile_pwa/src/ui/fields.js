// Form fields shared by the capture screens: each returns {element, …} with what the form needs.
// Every control has a visible <label>; errors are announced (role=alert).
import QRCode from 'qrcode'
import { signaturePad } from '@common/signature.js'
import { UserError } from '../errors.js'
import { locate } from '../geo.js'
import { t } from '../i18n.js'
import { canvasToPng, compressPhoto, sha256Hex } from '../media.js'
import { payable, vietqrPayload } from '../vietqr.js'
import { money } from '@common/format.js'
import { h, newId, replace } from '@common/dom.js'

/** The " *" after a required field's label; `on` switches it (a field required only sometimes). */
function requiredMark(on = true) {
  return h('span', { 'class': 'req', 'aria-hidden': 'true', 'hidden': !on }, ' *')
}

/**
 * Text longer than the field takes is cut, and the field says so (a native maxlength would cut a
 * pasted text silently).
 */
function cutToLength(input, max) {
  const note = h('p', { class: 'field-note', role: 'status', hidden: true })
  if (!max) return note
  input.addEventListener('input', () => {
    if (input.value.length <= max) return
    input.value = input.value.slice(0, max)
    note.textContent = t('field.cut', { n: max })
    note.hidden = false
  })
  return note
}

export function textField({ name, label, value = '', hint, required, type = 'text', maxlength, ...attrs }) {
  const id = newId(name)
  const input = h('input', {
    id,
    name,
    type,
    value,
    required,
    'aria-describedby': hint ? `${id}-hint` : null,
    ...attrs,
  })
  const mark = requiredMark(Boolean(required))
  const element = h(
    'div',
    { 'class': 'field', 'data-field': name, 'data-required': String(Boolean(required)) },
    h('label', { for: id }, label, mark),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    input,
    cutToLength(input, maxlength),
  )
  return textControl(element, input, label, mark)
}

/** What a text input or text area gives its form: the value, trimmed. */
function textControl(element, input, label, mark = null) {
  return {
    element,
    input,
    label,
    get value() {
      return input.value.trim()
    },
    /** Required or not from now on: the mark, `required` and `data-required` follow. */
    setRequired(on) {
      if (mark) mark.hidden = !on
      input.required = on
      element.dataset.required = String(on)
    },
  }
}

export function textArea({ name, label, value = '', rows = 2, maxlength = 1000, ...attrs }) {
  const id = newId(name)
  const input = h('textarea', { id, name, rows, ...attrs })
  input.value = value
  const element = h(
    'div',
    { 'class': 'field', 'data-field': name },
    h('label', { for: id }, label),
    input,
    cutToLength(input, maxlength),
  )
  return textControl(element, input, label)
}

export function checkbox({ name, label, checked = false, onchange }) {
  const id = newId(name)
  const input = h('input', { id, name, type: 'checkbox', checked, onchange })
  const element = h(
    'div',
    { 'class': 'field check', 'data-field': name },
    input,
    h('label', { for: id }, label),
  )
  return {
    element,
    input,
    get checked() {
      return input.checked
    },
  }
}

export function radioGroup({ name, legend, options, value, onchange, required }) {
  const inputs = options.map(([optionValue, text]) => {
    const id = newId(name)
    const input = h('input', {
      id,
      type: 'radio',
      name,
      value: optionValue,
      checked: optionValue === value,
      onchange: () => onchange?.(optionValue),
    })
    return { input, node: h('div', { class: 'radio' }, input, h('label', { for: id }, text)) }
  })
  const element = h(
    'fieldset',
    { 'class': 'field radios', 'data-field': name, 'data-required': String(Boolean(required)) },
    h('legend', null, legend, required ? requiredMark() : null),
    inputs.map((entry) => entry.node),
  )
  return {
    element,
    label: legend,
    get value() {
      return inputs.find((entry) => entry.input.checked)?.input.value ?? null
    },
  }
}

export function dateField({ name, label, value, min, hint }) {
  return textField({ name, label, value, type: 'date', min, hint })
}

/** Money in whole VND: a numeric keypad, no decimals. */
export function moneyField({ name, label, value = 0 }) {
  const field = textField({
    name,
    label,
    value: String(value ?? 0),
    inputmode: 'numeric',
    pattern: '[0-9]*',
    autocomplete: 'off',
    maxlength: 12,
  })
  return {
    ...field,
    get amount() {
      const text = field.input.value.replace(/[.\s,₫]/g, '')
      return /^\d{1,12}$/.test(text) ? Number(text) : text === '' ? 0 : null
    },
  }
}

/**
 * How one fee kind was paid: cash, or a VietQR transfer shown as a QR built here, offline, for `bank`
 * (the payee's {bin, account, name}; without one the phone says so and only cash is possible).
 */
function paymentField({ kind, item, bank, amountOf, onchange }) {
  const methods = radioGroup({
    name: `${kind}_fee_payment`,
    legend: t(`fees.paidBy.${kind}`),
    options: [
      ['cash', t('fees.cash')],
      ['transfer', t('fees.transfer')],
    ],
    value: 'cash',
    onchange: () => onchange(),
  })
  const account = payable(bank)
  const canvas = h('canvas', { class: 'vietqr-code', role: 'img' })
  const caption = h('p', { class: 'hint' })
  const missing = h('p', { class: 'warn' }, t(`fees.noAccount.${kind}`))
  const box = h('div', { 'class': 'vietqr', 'data-vietqr': kind, 'hidden': true })
  methods.element.append(box)
  const update = () => {
    const amount = amountOf()
    const shown = methods.value === 'transfer' && amount > 0
    box.hidden = !shown
    if (!shown) return
    if (!account) {
      replace(box, missing)
      delete box.dataset.payload
      return
    }
    const payload = vietqrPayload({ bank: account, amount, reference: item.code })
    if (box.dataset.payload === payload) return
    box.dataset.payload = payload
    caption.textContent = t('fees.qrFor', {
      amount: money(amount),
      name: account.name ?? '',
      account: account.account,
    })
    canvas.setAttribute('aria-label', caption.textContent)
    QRCode.toCanvas(canvas, payload, { errorCorrectionLevel: 'M', margin: 4, width: 232 })
    replace(box, canvas, caption)
  }
  return {
    element: methods.element,
    update,
    get method() {
      return methods.value ?? 'cash'
    },
    errors: () =>
      methods.value === 'transfer' && amountOf() > 0 && !account ? [t(`fees.noAccount.${kind}`)] : [],
  }
}

/** The fees taken at the door; `payees` are the VietQR accounts: {service, government}. */
export function feeFields(item, payees = {}) {
  const service = moneyField({ name: 'fee_collected', label: t('fees.service'), value: item.service_fee })
  const government = moneyField({
    name: 'government_fee_collected',
    label: t('fees.government'),
    value: item.government_fee,
  })
  const receipt = textField({
    name: 'receipt_number',
    label: t('fees.receipt'),
    maxlength: 64,
    autocomplete: 'off',
  })
  const total = h('p', { 'class': 'fee-total', 'data-total': '0', 'aria-live': 'polite' })
  const cashTotal = h('p', { 'class': 'hint', 'data-cash': '0' })
  const update = () => {
    const sum = (service.amount ?? 0) + (government.amount ?? 0)
    const cash = cashAmount()
    total.textContent = t('fees.totalCollected', { amount: money(sum) })
    total.dataset.total = String(sum)
    cashTotal.textContent = t('fees.cashTotal', { amount: money(cash) })
    cashTotal.dataset.cash = String(cash)
    cashTotal.hidden = cash === sum
    // Cash taken means a receipt: the receipt number is required as soon as cash is collected.
    receipt.setRequired(cash > 0)
    servicePaid.update()
    governmentPaid.update()
  }
  const paidBy = (kind, field) =>
    paymentField({ kind, item, bank: payees[kind], amountOf: () => field.amount ?? 0, onchange: update })
  const servicePaid = paidBy('service', service)
  const governmentPaid = paidBy('government', government)
  const cashAmount = () =>
    (servicePaid.method === 'cash' ? (service.amount ?? 0) : 0) +
    (governmentPaid.method === 'cash' ? (government.amount ?? 0) : 0)
  service.input.addEventListener('input', update)
  government.input.addEventListener('input', update)
  const element = h(
    'fieldset',
    { class: 'group' },
    h('legend', null, t('fees.title')),
    service.element,
    servicePaid.element,
    government.element,
    governmentPaid.element,
    total,
    cashTotal,
    receipt.element,
  )
  update()
  // The amounts collected and how each was paid, as the mutation sends them and the summaries record them.
  const amounts = () => ({
    fee_collected: service.amount ?? 0,
    government_fee_collected: government.amount ?? 0,
    service_fee_payment: servicePaid.method,
    government_fee_payment: governmentPaid.method,
  })
  return {
    element,
    errors: () => {
      if (service.amount === null || government.amount === null) return [t('fees.invalid')]
      if (cashAmount() > 0 && !receipt.value) return [t('fees.receiptRequired')]
      return [...servicePaid.errors(), ...governmentPaid.errors()]
    },
    amounts,
    data: () => ({ ...amounts(), receipt_number: receipt.value || null }),
  }
}

/** A signature drawn on screen with signature_pad, exported as PNG. */
export function signatureField({ name, label }) {
  const id = newId(name)
  const canvas = h('canvas', {
    id,
    'class': 'sig-canvas',
    'role': 'img',
    'aria-label': `${label}. ${t('signature.hint')}`,
  })
  const changed = () => element.dispatchEvent(new Event('change', { bubbles: true }))
  const pad = signaturePad(canvas, { onStroke: changed })
  const element = h(
    'div',
    { 'class': 'field sig', 'data-field': name },
    h(
      'span',
      { class: 'label', id: `${id}-label` },
      label,
      h('span', { 'class': 'req', 'aria-hidden': 'true' }, ' *'),
    ),
    h(
      'div',
      { class: 'sig-box' },
      canvas,
      h('span', { 'class': 'sig-hint', 'aria-hidden': 'true' }, t('signature.hint')),
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-secondary btn-small',
        onclick: () => {
          pad.clear()
          changed()
        },
      },
      t('signature.clear'),
    ),
  )
  return {
    element,
    label,
    isEmpty: () => pad.isEmpty(),
    /** The strokes, for the form's draft. */
    state: () => pad.strokes(),
    restore: (strokes) => pad.restore(strokes),
    async toFile(kind) {
      if (pad.isEmpty()) throw new UserError('signature.emptyField', { label })
      const blob = await canvasToPng(canvas)
      return { kind, blob, sha256: await sha256Hex(blob) }
    },
  }
}

/** Camera photos, compressed on the phone, with thumbnails and a remove button each. */
export function photosField({ name, label, multiple = true, required = false }) {
  const id = newId(name)
  const photos = []
  let working = Promise.resolve()
  const list = h('ul', { class: 'thumbs' })
  const status = h('p', { class: 'field-error', role: 'alert' })
  const button = h('label', { for: id, class: 'btn btn-secondary' }, t('photo.add'))
  const input = h('input', {
    id,
    name,
    'type': 'file',
    'accept': 'image/*',
    'capture': 'environment',
    'class': 'file-input',
    'aria-describedby': `${id}-help`,
    'onchange': () => {
      const files = [...input.files]
      input.value = ''
      working = working.then(() => addAll(files))
    },
  })
  const redraw = () => {
    replace(
      list,
      photos.map((photo, index) =>
        h(
          'li',
          null,
          h('img', { src: photo.url, alt: t('photo.alt', { n: index + 1 }), width: 72, height: 72 }),
          h(
            'button',
            {
              'type': 'button',
              'class': 'btn-icon',
              'aria-label': `${t('common.remove')} ${t('photo.alt', { n: index + 1 })}`,
              'onclick': () => {
                URL.revokeObjectURL(photo.url)
                photos.splice(index, 1)
                redraw()
              },
            },
            '×',
          ),
        ),
      ),
    )
    button.textContent = photos.length ? t('photo.addMore') : t('photo.add')
    if (!multiple) button.hidden = photos.length > 0
    element.dataset.count = String(photos.length)
    element.dispatchEvent(new Event('change', { bubbles: true })) // the form's draft follows
  }
  async function addAll(files) {
    status.textContent = files.length ? t('photo.working') : ''
    for (const file of files) {
      try {
        const { blob } = await compressPhoto(file)
        photos.push({ blob, sha256: await sha256Hex(blob), url: URL.createObjectURL(blob) })
        status.textContent = ''
      } catch (error) {
        status.textContent = error instanceof UserError ? t(error.key, error.params) : t('photo.unreadable')
      }
    }
    redraw()
  }
  const mark = requiredMark(required)
  const element = h(
    'div',
    { 'class': 'field photos', 'data-field': name, 'data-count': '0', 'data-required': String(required) },
    h('span', { class: 'label' }, label, mark),
    list,
    input,
    button,
    h('p', { class: 'hint', id: `${id}-help` }, t('photo.help')),
    status,
  )
  return {
    element,
    label,
    get count() {
      return photos.length
    },
    settled: () => working,
    setRequired(on) {
      mark.hidden = !on
      element.dataset.required = String(on)
    },
    /** The photos, for the form's draft. */
    state: () => photos.map(({ blob, sha256 }) => ({ blob, sha256 })),
    restore(saved) {
      for (const { blob, sha256 } of saved ?? [])
        photos.push({ blob, sha256, url: URL.createObjectURL(blob) })
      redraw()
    },
    files: (kind) => photos.map((photo) => ({ kind, blob: photo.blob, sha256: photo.sha256 })),
  }
}

/** How long ago, for the GPS line: "12 s" / "3 min". */
function ago(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000))
  return seconds < 90 ? t('gps.seconds', { n: seconds }) : t('gps.minutes', { n: Math.round(seconds / 60) })
}

/**
 * The position of THIS stop, asked for as the form opens; never blocks a save. Each form asks for
 * a new fix (never one the browser cached, which may be the previous stop's); the line says how
 * accurate and how old it is, and a fix older than `maxAgeMs` at save time is asked for again.
 */
export function gpsField({ maxAgeMs = 120_000 } = {}) {
  const openedAt = Date.now()
  let fix = null
  let error = null
  let pending = null
  const text = h('p', { class: 'gps-status' })
  const retry = h(
    'button',
    {
      'type': 'button',
      'class': 'btn btn-secondary btn-small',
      'hidden': true,
      'data-action': 'gps-retry',
      'onclick': () => start(),
    },
    t('common.retry'),
  )
  const element = h(
    'div',
    { 'class': 'field gps', 'data-field': 'gps', 'aria-live': 'polite' },
    h('span', { class: 'label' }, t('gps.title')),
    text,
    retry,
  )
  const fresh = () => fix && Date.now() - fix.at <= maxAgeMs
  function show() {
    element.dataset.state = fix ? 'ok' : error ? 'error' : 'waiting'
    text.textContent = fix
      ? t('gps.ok', { m: Math.round(fix.accuracy_m), age: ago(Date.now() - fix.at) })
      : error
        ? t(`gps.${error}`)
        : t('gps.waiting')
    if (fix) {
      element.dataset.fixAt = String(fix.at)
      element.dataset.accuracy = String(fix.accuracy_m)
    }
    retry.textContent = fix ? t('gps.refresh') : t('common.retry')
    retry.hidden = !fix && (!error || error === 'unsupported')
  }
  function start() {
    error = null
    show()
    pending = locate().then((result) => {
      // maximumAge 0: a new fix, never the browser's cached one
      if (result.error) error = result.error
      else fix = result
      show()
    })
    return pending
  }
  start()
  // Keep the age on screen current while the form is open.
  const ticker = setInterval(
    () => (element.isConnected || Date.now() - openedAt < 5000 ? show() : clearInterval(ticker)),
    5000,
  )
  return {
    element,
    get fix() {
      return fix
    },
    /** Wait a little for a fix that is on its way (never long: the postman is at the door). A fix
     * that has grown old while the form stayed open is taken again. */
    settle: (ms = 3000) => {
      if (fix && !fresh()) start() // keeps the old fix until a newer one arrives
      return Promise.race([pending, new Promise((resolve) => setTimeout(resolve, ms))])
    },
    data: () =>
      fix
        ? { lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy_m }
        : { lat: null, lon: null, accuracy_m: null },
  }
}

/** The list of problems at the top of a form; focused so a screen reader reads it. */
export function errorSummary() {
  const element = h('div', { class: 'errors', role: 'alert', tabindex: '-1', hidden: true })
  return {
    element,
    show(messages, title) {
      replace(
        element,
        title
          ? [
              h('p', null, title),
              h(
                'ul',
                null,
                messages.map((m) => h('li', null, m)),
              ),
            ]
          : messages.map((m) => h('p', null, m)),
      )
      element.hidden = false
      element.focus()
      element.scrollIntoView?.({ block: 'center' })
    },
    clear() {
      element.hidden = true
      element.replaceChildren()
    },
  }
}
