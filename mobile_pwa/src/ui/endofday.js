// End of day: what I collected today, from the proofs saved on this phone (cash and VietQR transfer,
// per fee kind and per item), and the cash handed to the post office (the `cash_handover` mutation,
// saved offline like a proof and sent by the next sync): all of it, or part of it per fee kind with
// the rest carried (still to hand over). docs/pwa.md, "End of day".
import { captureAll } from '../outbox.js'
import { on } from '../events.js'
import { t } from '../i18n.js'
import { db } from '../store.js'
import { h, replace } from '@common/dom.js'
import { day, localToday, money, number, shortDateTime } from '@common/format.js'
import { toast } from './toast.js'

const PAID_AT_DOOR = new Set(['deliver', 'collect'])

/** The day's money from the local proofs and the day's cash handovers (not the rejected ones). */
export async function dayMoney(date = localToday()) {
  const database = await db()
  const [proofs, items] = await Promise.all([database.getAll('proofs'), database.getAll('items')])
  const byId = new Map(items.map((item) => [item.id, item]))
  const onDay = proofs.filter((p) => p.at && localToday(new Date(p.at)) === date)
  const lines = []
  const sums = { service_cash: 0, government_cash: 0, service_transfer: 0, government_transfer: 0 }
  for (const proof of onDay) {
    if (!PAID_AT_DOOR.has(proof.type) || proof.state === 'rejected') continue
    const s = proof.summary ?? {}
    const service = s.fee_collected ?? 0
    const government = s.government_fee_collected ?? 0
    if (!service && !government) continue
    const serviceBy = s.service_fee_payment === 'transfer' ? 'transfer' : 'cash'
    const governmentBy = s.government_fee_payment === 'transfer' ? 'transfer' : 'cash'
    sums[`service_${serviceBy}`] += service
    sums[`government_${governmentBy}`] += government
    lines.push({ proof, item: byId.get(proof.item_id), service, government, serviceBy, governmentBy })
  }
  const handovers = proofs
    .filter((p) => p.type === 'cash_handover' && p.summary?.day === date && p.state !== 'rejected')
    .sort((a, b) => a.seq - b.seq)
  const handed = { service: 0, government: 0 }
  for (const p of handovers) {
    handed.service += p.summary.service_fee_cash ?? 0
    handed.government += p.summary.government_fee_cash ?? 0
  }
  const left = {
    service: Math.max(sums.service_cash - handed.service, 0),
    government: Math.max(sums.government_cash - handed.government, 0),
  }
  return { date, lines, sums, handovers, handed, left }
}

function row(label, amount, key) {
  return h(
    'tr',
    { 'data-money': key },
    h('th', { scope: 'row' }, label),
    h('td', { class: 'num' }, money(amount)),
  )
}

function itemLine({ item, proof, service, government, serviceBy, governmentBy }) {
  const parts = []
  if (service) parts.push(`${t('day.service')} ${money(service)} (${t(`fees.${serviceBy}`)})`)
  if (government) parts.push(`${t('day.government')} ${money(government)} (${t(`fees.${governmentBy}`)})`)
  return h(
    'li',
    { 'data-item-id': proof.item_id },
    h('strong', null, item ? `${item.recipient_name} · ${item.code}` : `#${proof.item_id}`),
    h('div', { class: 'hint' }, parts.join(' · ')),
  )
}

function handoverLine(p) {
  const state =
    p.state === 'synced' ? t('day.accepted', { time: shortDateTime(p.synced_at) }) : t('day.waiting')
  return h(
    'li',
    { 'data-cash-handover': p.id, 'data-state': p.state },
    h('strong', null, money((p.summary.service_fee_cash ?? 0) + (p.summary.government_fee_cash ?? 0))),
    ` · ${shortDateTime(p.at)}`,
    h('div', { class: p.state === 'synced' ? 'ok' : 'hint' }, state),
    p.flag ? h('div', { class: 'warn' }, t('day.flagged')) : null,
  )
}

/** Whole đồng typed as the phone's keyboard gives them ("20.000", "20000"): digits only. */
function amountOf(input) {
  const digits = input.value.replace(/\D/g, '')
  return digits ? Number(digits) : 0
}

/** A field for the cash of one fee kind handed over now: prefilled with all of it, at most that. */
function handField(key, label, most, typed) {
  const input = h('input', {
    'id': `hand-${key}`,
    'name': `hand_${key}`,
    'type': 'text',
    'inputmode': 'numeric',
    'autocomplete': 'off',
    'value': typed ?? number(most),
    'aria-describedby': `hand-${key}-most`,
  })
  const node = h(
    'div',
    { 'class': 'field', 'data-field': `hand_${key}` },
    h('label', { for: `hand-${key}` }, label),
    input,
    h('div', { class: 'hint', id: `hand-${key}-most` }, t('day.atMost', { amount: money(most) })),
  )
  return { node, input, most }
}

export async function endOfDayScreen() {
  const section = h('section', { class: 'screen end-of-day' })
  let saving = false
  let typed = {} // what was typed, kept when a sync redraws the screen
  async function draw() {
    const m = await dayMoney()
    const toHand = m.left.service + m.left.government
    const fields = [
      ['service', t('day.handService'), m.left.service],
      ['government', t('day.handGovernment'), m.left.government],
    ]
      .filter(([, , most]) => most > 0)
      .map(([key, label, most]) => ({ key, ...handField(key, label, most, typed[key]) }))
    const rest = h('p', { 'class': 'hint', 'id': 'hand-rest', 'aria-live': 'polite' })
    const chosen = () => {
      const amounts = { service: 0, government: 0 }
      for (const f of fields) amounts[f.key] = amountOf(f.input)
      return amounts
    }
    const tooMuch = () => fields.some((f) => amountOf(f.input) > f.most)
    const button = h(
      'button',
      {
        'type': 'button',
        'class': 'btn btn-primary btn-block',
        'data-action': 'hand-over-cash',
        'disabled': !toHand || saving,
        'onclick': async () => {
          if (saving) return // a double tap hands over once
          const amounts = chosen()
          if (tooMuch() || !(amounts.service + amounts.government)) return
          saving = true
          button.disabled = true
          try {
            const handed = { service_fee_cash: amounts.service, government_fee_cash: amounts.government }
            await captureAll([
              {
                type: 'cash_handover',
                data: { day: m.date, ...handed },
                summary: { day: m.date, ...handed },
              },
            ])
            typed = {}
            toast(t('day.saved', { amount: money(amounts.service + amounts.government) }))
          } catch (error) {
            toast(error.message, 'warn')
          } finally {
            saving = false
            draw()
          }
        },
      },
      toHand ? t('day.handOver', { amount: money(toHand) }) : t('day.nothingToHand'),
    )
    /** The button says what is handed now; the hint what is kept (carried, still to hand over). */
    const update = () => {
      const amounts = chosen()
      const now = amounts.service + amounts.government
      const over = tooMuch()
      for (const f of fields) f.input.setAttribute('aria-invalid', String(amountOf(f.input) > f.most))
      button.textContent = toHand ? t('day.handOver', { amount: money(now) }) : t('day.nothingToHand')
      button.disabled = saving || !now || over
      rest.textContent = over
        ? t('day.tooMuch')
        : now < toHand
          ? t('day.keep', { amount: money(toHand - now) })
          : ''
      rest.className = over ? 'warn' : 'hint'
    }
    for (const f of fields) {
      f.input.addEventListener('input', () => {
        typed[f.key] = f.input.value
        update()
      })
    }
    replace(
      section,
      h('h1', { id: 'screen-title', tabindex: '-1' }, `${t('day.title')} · ${day(m.date)}`),
      h(
        'div',
        { class: 'card' },
        h('h2', null, t('day.collected')),
        h(
          'table',
          { class: 'money', id: 'day-money' },
          h(
            'tbody',
            null,
            row(t('day.serviceCash'), m.sums.service_cash, 'service_cash'),
            row(t('day.governmentCash'), m.sums.government_cash, 'government_cash'),
            row(t('day.cashTotal'), m.sums.service_cash + m.sums.government_cash, 'cash'),
            row(t('day.transfers'), m.sums.service_transfer + m.sums.government_transfer, 'transfer'),
            row(t('day.handed'), m.handed.service + m.handed.government, 'handed'),
            row(t('day.left'), toHand, 'left'),
          ),
        ),
        h('p', { class: 'hint' }, t('day.transferNote')),
        fields.map((f) => f.node),
        rest,
        button,
      ),
      h(
        'div',
        { class: 'card' },
        h('h2', null, t('day.handovers')),
        m.handovers.length
          ? h('ul', { class: 'plain', id: 'day-handovers' }, m.handovers.map(handoverLine))
          : h('p', { class: 'hint' }, t('day.noHandover')),
      ),
      h(
        'div',
        { class: 'card' },
        h('h2', null, t('day.perItem')),
        m.lines.length
          ? h('ul', { class: 'plain', id: 'day-items' }, m.lines.map(itemLine))
          : h('p', { class: 'hint' }, t('day.noMoney')),
      ),
    )
    if (fields.length) update()
  }
  await draw()
  let last = ''
  const off = on('sync', (snap) => {
    const key = `${snap.running}|${snap.pending}|${snap.lastSync}`
    if (key !== last && !snap.running) draw()
    last = key
  })
  return { node: section, title: t('day.title'), cleanup: off }
}
