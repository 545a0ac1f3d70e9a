// The proof viewer: who received it and as what, signature and photos, where and when. Opening it
// reads GET /api/proofs/{id}, which the server writes to the audit log (personal data).
import * as api from '../lib/api.js'
import { problemText } from '../lib/problems.js'
import { h, replace } from '@common/dom.js'
import { dateTime, day, metres, money } from '@common/format.js'
import { label, t } from '../lib/i18n.js'
import { COLOURS, createMap, distance, dot, fit, line } from '../lib/leaflet-map.js'

let config = null

export function setProofConfig(value) {
  config = value
}

export async function openProof(proofId, { onChange } = {}) {
  const body = h('div', { class: 'proof-body' }, h('p', {}, t('common.loading')))
  const closeButton = h(
    'button',
    { type: 'button', class: 'close', onclick: () => dialog.close() },
    t('common.close'),
  )
  const dialog = h(
    'dialog',
    { 'class': 'proof', 'aria-labelledby': 'proof-title' },
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', { id: 'proof-title' }, t('proof.title', { id: proofId })),
      closeButton,
    ),
    body,
  )
  const urls = []
  dialog.addEventListener('close', () => {
    urls.forEach((u) => URL.revokeObjectURL(u))
    dialog.remove()
  })
  document.body.append(dialog)
  dialog.showModal()
  try {
    const proof = await api.get(`/api/proofs/${proofId}`)
    const [item, postman] = await Promise.all([
      api.get(`/api/items/${proof.item_id}`).catch(() => null),
      api.get(`/api/users/${proof.postman_id}`).catch(() => null),
    ])
    replace(
      body,
      proofFacts(proof, item, postman),
      proofFiles(proof, urls),
      h('div', { class: 'proof-map', id: 'proof-map' }),
      reviewForm(proof, () => {
        dialog.close()
        onChange?.()
      }),
    )
    drawMap(body.querySelector('.proof-map'), proof, item)
  } catch (error) {
    replace(body, h('p', { class: 'error', role: 'alert' }, problemText(error)))
  }
  return dialog
}

/** What a proof says, as a definition list (the viewer and the item page). */
export function proofFacts(proof, item, postman) {
  const rows = [
    [
      'proof.item',
      item
        ? `${proof.item_code} — ${item.recipient_name}, ${item.address_line}, ${item.commune}`
        : proof.item_code,
    ],
    ['proof.outcome', label('outcome', proof.outcome)],
    proof.reason_code && ['proof.reason', label('reason', proof.reason_code)],
    proof.next_attempt_date && ['proof.next', day(proof.next_attempt_date)],
    proof.receiver_name && ['proof.receiver', proof.receiver_name],
    proof.receiver_relation && ['proof.relation', label('relation', proof.receiver_relation)],
    proof.id_number_masked && ['proof.idNumber', proof.id_number_masked],
    ['proof.postman', postman ? postman.full_name : `#${proof.postman_id}`],
    ['proof.device', proof.device_id || '—'],
    ['proof.deviceTime', dateTime(proof.device_time)],
    ['proof.serverTime', dateTime(proof.server_time)],
    [
      'proof.position',
      proof.lat === null
        ? t('proof.noPosition')
        : `${proof.lat.toFixed(5)}, ${proof.lon.toFixed(5)}${proof.accuracy_m ? ` (±${Math.round(proof.accuracy_m)} m)` : ''}`,
    ],
    item &&
      item.lat !== null &&
      proof.lat !== null && [
        'proof.distance',
        `≈ ${metres(distance([proof.lat, proof.lon], [item.lat, item.lon]))}`,
      ],
    (proof.fee_collected || proof.government_fee_collected) && [
      'proof.fees',
      `${money(proof.fee_collected)} + ${money(proof.government_fee_collected)}`,
    ],
    proof.receipt_number && ['proof.receipt', proof.receipt_number],
    proof.seal_number && ['proof.seal', proof.seal_number],
    proof.checklist && [
      'proof.checklist',
      proof.checklist.map((p) => `${p.present ? '✓' : '✗'} ${p.name} (${label('form', p.form)})`).join('; '),
    ],
    proof.missing_papers && ['proof.missing', proof.missing_papers],
    proof.note && ['proof.note', proof.note],
    proof.flagged && [
      'proof.flag',
      `${label('flag', proof.flag_reason)}${proof.review ? ` — ${t(`proof.review.${proof.review}`, { time: dateTime(proof.resolved_at) })}${proof.review_note ? `: ${proof.review_note}` : ''}` : ''}`,
    ],
    proof.counts_as_invitation !== null &&
      proof.counts_as_invitation !== undefined && [
        'proof.invitation',
        t(proof.counts_as_invitation ? 'proof.invitationYes' : 'proof.invitationNo'),
      ],
    !proof.complete && ['proof.incomplete', t('proof.incompleteText')],
  ].filter(Boolean)
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([key, value]) => [h('dt', {}, t(key)), h('dd', { 'data-field': key }, value)]),
  )
}

/** The proof's signature and photos, each opening enlarged (zoomable) on a click; object URLs go in
 * `urls`. `kindLabel` names each file (a handover record's signature is the agency officer's). */
export function proofFiles(proof, urls, kindLabel = (kind) => label('file', kind)) {
  if (!proof.attachments.length) return h('p', { class: 'muted' }, t('proof.noFiles'))
  return h(
    'div',
    { class: 'files' },
    proof.attachments.map((a) => {
      const figure = h(
        'figure',
        { class: `file file-${a.kind}` },
        h('figcaption', {}, kindLabel(a.kind)),
        h('p', { class: 'muted small' }, t('common.loading')),
      )
      api
        .blob(`/api/attachments/${a.sha256}`)
        .then(({ blob }) => {
          const url = URL.createObjectURL(blob)
          urls.push(url)
          const alt = `${kindLabel(a.kind)} — ${proof.item_code}`
          figure.querySelector('p').replaceWith(
            h(
              'button',
              {
                'type': 'button',
                'class': 'zoomable',
                'aria-label': t('zoom.open', { what: alt }),
                'onclick': () => zoom(url, alt),
              },
              h('img', { src: url, alt }),
            ),
          )
        })
        .catch(() => {
          figure.querySelector('p').textContent = t('proof.notUploaded')
        })
      return figure
    }),
  )
}

function drawMap(element, proof, item) {
  if (!config) return
  const map = createMap(element, config, { zoom: 15 })
  const points = []
  if (item && item.lat !== null) {
    dot(map, item.lat, item.lon, {
      colour: COLOURS.assigned,
      label: t('proof.address'),
      dashed: true,
      radius: 9,
    })
    points.push([item.lat, item.lon])
  }
  if (proof.lat !== null) {
    dot(map, proof.lat, proof.lon, { colour: COLOURS.mismatch, label: t('proof.capturedHere') })
    points.push([proof.lat, proof.lon])
  }
  if (points.length === 2) line(map, points[0], points[1], COLOURS.mismatch)
  const legend = document.createElement('p')
  legend.className = 'small muted map-caption'
  legend.textContent = t('proof.mapCaption')
  element.after(legend)
  fit(map, points)
  setTimeout(() => map.invalidateSize(), 50)
}

// A flagged proof is accepted (the item becomes delivered / collected and leaves another postman's
// round) or rejected with a reason (it stays as evidence, the item does not move). Both audited.
export function reviewForm(proof, onDone) {
  if (!proof.flagged || proof.review) return null
  const note = h('textarea', { id: 'review-note', rows: 2, maxlength: 1000 })
  const message = h('p', { class: 'error', role: 'alert' })
  async function decide(action) {
    const text = note.value.trim()
    if (action === 'reject' && !text) {
      message.textContent = t('proof.reasonRequired')
      note.focus()
      return
    }
    try {
      await api.post(
        `/api/proofs/${proof.id}/${action}`,
        action === 'accept' ? { note: text || null } : { reason: text },
      )
      onDone?.(action)
    } catch (error) {
      message.textContent = problemText(error)
    }
  }
  return h(
    'form',
    { class: 'review', onsubmit: (event) => event.preventDefault() },
    h('p', { class: 'muted small' }, t('proof.reviewHelp')),
    h('label', { for: 'review-note' }, t('proof.reviewNote')),
    note,
    message,
    h(
      'div',
      { class: 'buttons' },
      h(
        'button',
        {
          'type': 'button',
          'class': 'primary',
          'data-action': 'accept-proof',
          'onclick': () => decide('accept'),
        },
        t(proof.outcome === 'failed' ? 'proof.acceptVisit' : 'proof.accept'),
      ),
      h(
        'button',
        {
          'type': 'button',
          'class': 'danger',
          'data-action': 'reject-proof',
          'onclick': () => decide('reject'),
        },
        t('proof.reject'),
      ),
    ),
  )
}

// A photo or signature enlarged in its own dialog: fit to the window, then zoom in and out (the
// dialog scrolls); Esc or "Đóng / Close" returns to where it was opened from.
const SCALES = [1, 1.5, 2, 3, 4]

function zoom(url, alt) {
  let step = -1 // -1: fit to the window
  const img = h('img', { src: url, alt, class: 'fit' })
  function show() {
    img.className = step < 0 ? 'fit' : ''
    img.style.width = step < 0 ? '' : `${Math.round((img.naturalWidth || 600) * SCALES[step])}px`
  }
  const button = (key, action, onclick) =>
    h('button', { 'type': 'button', 'data-action': action, onclick }, t(key))
  const dialog = h(
    'dialog',
    { 'class': 'zoom', 'aria-label': alt },
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', {}, alt),
      h(
        'div',
        { class: 'buttons' },
        button('zoom.out', 'zoom-out', () => {
          step = Math.max(-1, step - 1)
          show()
        }),
        button('zoom.fit', 'zoom-fit', () => {
          step = -1
          show()
        }),
        button('zoom.in', 'zoom-in', () => {
          step = Math.min(SCALES.length - 1, step + 1)
          show()
        }),
        h('button', { type: 'button', class: 'close', onclick: () => dialog.close() }, t('common.close')),
      ),
    ),
    h('div', { class: 'zoom-body' }, img),
  )
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  dialog.showModal()
}
