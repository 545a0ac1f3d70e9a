// One stop: recipient, tap-to-call, address with a hand-off to a maps app, procedure, fees,
// checklist, what was recorded on this phone, and the actions the item's status allows.
import { reasonText, t } from '../i18n.js'
import { startCorrection } from '../corrections.js'
import { itemView, OPEN } from '../queries.js'
import { day as showDate, localToday, money, shortDateTime as showTime } from '@common/format.js'
import { calendar, nextAttemptFrom } from '../workdays.js'
import { collectForm } from './collect.js'
import { deliverForm } from './deliver.js'
import { h } from '@common/dom.js'
import { citizenAnswer } from '@common/citizen.js'
import { failForm } from './fail.js'

function row(label, ...value) {
  return [h('dt', null, label), h('dd', null, ...value)]
}

/** What the postman collects at the door: the service fee and the government fee. */
export function toCollect(item) {
  return (item.service_fee ?? 0) + (item.government_fee ?? 0)
}

/** geo: opens the phone's maps app; Google Maps over https is the fallback. */
export function mapLinks(item) {
  const address = [item.address_line, item.commune, item.province].filter(Boolean).join(', ')
  if (item.lat != null && item.lon != null) {
    const where = `${item.lat},${item.lon}`
    return {
      geo: `geo:${where}?q=${where}(${encodeURIComponent(item.recipient_name || address)})`,
      web: `https://www.google.com/maps/dir/?api=1&destination=${where}`,
    }
  }
  return {
    geo: `geo:0,0?q=${encodeURIComponent(address)}`,
    web: `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(address)}`,
  }
}

// A failed item stays this postman's work: it can be delivered, collected or failed again.
const WORKABLE = OPEN

/** Second visit: how many failed visits, and from when the next one counts as an invitation. */
function reattempt(item, cal) {
  if (item.status !== 'failed_attempt') return null
  const today = localToday()
  const from = item.next_attempt_from ?? nextAttemptFrom(item.last_invitation_on, cal)
  const early = from && today < from
  return h(
    'section',
    { 'class': 'card reattempt', 'data-reattempt': early ? 'early' : 'due' },
    h('h2', null, t('reattempt.title')),
    h(
      'p',
      null,
      t('reattempt.count', { n: item.attempt_count ?? 0, invitations: item.invitation_count ?? 0 }),
    ),
    from
      ? h(
          'p',
          { 'class': early ? 'warn' : 'hint', 'data-next-attempt-from': from },
          t(early ? 'reattempt.early' : 'reattempt.counts', {
            date: showDate(from),
            days: cal.reattempt_spacing_working_days ?? 2,
          }),
        )
      : null,
  )
}

function actions(item, procedure) {
  if (!WORKABLE.has(item.status))
    return h('p', { class: 'note' }, t('item.closed', { status: t(`status.${item.status}`) }))
  const notByPost = procedure && procedure.allowed_by_post === false
  const main =
    item.direction === 'collect'
      ? h(
          'a',
          {
            'class': 'btn btn-primary btn-block',
            'href': `#/item/${item.id}/collect`,
            'data-action': 'collect',
          },
          t('action.collect'),
        )
      : h(
          'a',
          {
            'class': 'btn btn-primary btn-block',
            'href': `#/item/${item.id}/deliver`,
            'data-action': 'deliver',
          },
          t('action.deliver'),
        )
  return h(
    'div',
    { class: 'actions' },
    notByPost ? h('p', { class: 'warn' }, t('item.notByPost')) : null,
    main,
    h(
      'a',
      { 'class': 'btn btn-danger btn-block', 'href': `#/item/${item.id}/fail`, 'data-action': 'fail' },
      t(item.direction === 'collect' ? 'action.failCollect' : 'action.fail'),
    ),
  )
}

function history(proofs, attention, outbox) {
  if (!proofs.length) return null
  const problems = new Map(attention.map((entry) => [entry.id, entry]))
  const queued = new Map(outbox.map((entry) => [entry.id, entry]))
  return h(
    'section',
    { class: 'card' },
    h('h2', null, t('item.history')),
    h(
      'ul',
      { class: 'history' },
      proofs.map((proof) =>
        h(
          'li',
          { 'data-proof-state': proof.state },
          h('strong', null, t(`event.${proof.type}`)),
          ` · ${showTime(proof.created_at)} · `,
          h('span', { class: `chip proof-${proof.state}` }, t(`proof.${proof.state}`)),
          proof.summary?.reason_code ? ` · ${t(`reason.${proof.summary.reason_code}`)}` : null,
          proof.summary?.id_number_masked ? ` · ${proof.summary.id_number_masked}` : null,
          problems.get(proof.id)
            ? h('p', { class: 'warn' }, reasonText(problems.get(proof.id).reason))
            : null,
          // Not sent yet: it can still be corrected on the phone (in place, before it leaves).
          queued.has(proof.id) && proof.state === 'queued'
            ? h(
                'button',
                {
                  'type': 'button',
                  'class': 'btn btn-secondary btn-small',
                  'data-action': 'correct',
                  'onclick': () =>
                    startCorrection(queued.get(proof.id), { outbox: queued.get(proof.id).seq }),
                },
                t('correct.edit'),
              )
            : null,
        ),
      ),
    ),
  )
}

/** The other open items at this door: handed over together from the deliver form. */
function sameDoor(others) {
  if (!others.length) return null
  return h(
    'section',
    { 'class': 'card same-door', 'data-same-door': others.length },
    h('h2', null, t('item.sameDoor', { n: others.length })),
    h(
      'ul',
      { class: 'plain' },
      others.map((other) =>
        h('li', null, h('a', { href: `#/item/${other.id}` }, `${other.recipient_name} · ${other.code}`)),
      ),
    ),
  )
}

export async function itemScreen(id) {
  const view = await itemView(id)
  if (!view) {
    return {
      title: t('item.missing'),
      node: h(
        'section',
        { class: 'screen' },
        h('a', { href: '#/', class: 'back' }, `‹ ${t('common.back')}`),
        h('p', { id: 'screen-title', tabindex: '-1' }, t('item.missing')),
      ),
    }
  }
  const { item, procedure, agency } = view
  const cal = await calendar()
  const links = mapLinks(item)
  const node = h(
    'section',
    { 'class': 'screen item', 'data-item-id': item.id },
    h('a', { href: '#/', class: 'back' }, `‹ ${t('common.back')}`),
    h('h1', { id: 'screen-title', tabindex: '-1' }, item.recipient_name),
    h(
      'p',
      { class: 'sub' },
      h('span', { class: `chip dir-${item.direction}` }, t(`direction.${item.direction}`)),
      ' ',
      h('span', { class: `chip st-${item.status}` }, t(`status.${item.status}`)),
      view.queued.length ? [' ', h('span', { class: 'chip st-unsynced' }, t('status.unsynced'))] : null,
    ),
    WORKABLE.has(item.status) && toCollect(item)
      ? h(
          'p',
          { 'class': 'collect-line', 'data-total': toCollect(item) },
          t('item.toCollect', { amount: money(toCollect(item)) }),
        )
      : null,
    actions(item, procedure),
    sameDoor(view.sameDoor),
    h(
      'section',
      { class: 'card' },
      h('h2', null, t('item.recipient')),
      h('p', { class: 'big' }, item.recipient_name),
      item.recipient_phone
        ? h(
            'a',
            {
              'class': 'btn btn-secondary btn-block',
              'href': `tel:${item.recipient_phone}`,
              'data-action': 'call',
            },
            t('item.call', { phone: item.recipient_phone }),
          )
        : null,
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', null, t('item.address')),
      h('p', { class: 'big' }, [item.address_line, item.commune, item.province].filter(Boolean).join(', ')),
      item.old_address ? h('p', { class: 'hint' }, `${t('item.oldAddress')}: ${item.old_address}`) : null,
      h(
        'div',
        { class: 'row' },
        h(
          'a',
          { 'class': 'btn btn-secondary', 'href': links.geo, 'data-action': 'navigate' },
          t('item.navigate'),
        ),
        h(
          'a',
          {
            'class': 'btn btn-secondary',
            'href': links.web,
            'target': '_blank',
            'rel': 'noopener',
            'data-action': 'google-maps',
          },
          t('item.googleMaps'),
        ),
      ),
      item.lat == null ? h('p', { class: 'hint' }, t('item.noPosition')) : null,
    ),
    reattempt(item, cal),
    history(view.proofs, view.attention, view.queued),
    h(
      'section',
      { class: 'card' },
      h('h2', null, t('item.procedure')),
      h(
        'dl',
        null,
        procedure ? row(t('item.procedure'), `${procedure.name} (${procedure.code})`) : null,
        agency ? row(t('item.agency'), agency.name) : null,
        row(t('item.code'), item.code),
        item.dossier_code ? row(t('item.dossier'), item.dossier_code) : null,
        item.due_date ? row(t('item.due'), showDate(item.due_date)) : null,
        item.attempt_count ? row(t('item.attempts'), String(item.attempt_count)) : null,
        item.note ? row(t('item.note'), item.note) : null,
        citizenAnswer(item) ? row(t('citizen.answer'), citizenAnswer(item)) : null,
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', null, t('item.fees')),
      h(
        'dl',
        null,
        row(t('item.serviceFee'), money(item.service_fee)),
        row(t('item.governmentFee'), money(item.government_fee)),
      ),
      h(
        'p',
        { 'class': 'fee-total big', 'data-total': toCollect(item) },
        t('item.toCollect', { amount: money(toCollect(item)) }),
      ),
    ),
    procedure?.checklist?.length
      ? h(
          'section',
          { class: 'card' },
          h('h2', null, t('item.checklist')),
          h(
            'ul',
            { class: 'plain' },
            procedure.checklist.map((paper) =>
              h(
                'li',
                null,
                `${paper.name} — ${t(`form.${paper.form}`)}${paper.required ? '' : ` ${t('common.optional')}`}`,
              ),
            ),
          ),
        )
      : null,
  )
  return { node, title: item.recipient_name }
}

export async function captureScreen(id, kind) {
  const view = await itemView(id)
  if (!view) return itemScreen(id)
  // A queued capture being corrected has already moved the item's local status.
  const correcting = view.queued.some((entry) => entry.type === kind)
  if (!WORKABLE.has(view.item.status) && !correcting) return itemScreen(id)
  const node =
    kind === 'deliver' && view.item.direction === 'return'
      ? deliverForm(view.item, view.sameDoor, view.payees)
      : kind === 'collect' && view.item.direction === 'collect'
        ? collectForm(view.item, view.procedure, view.payees)
        : failForm(view.item, await calendar())
  return { node, title: t(`action.${kind}`) }
}
