// Cash per postman on the Today page: collected at the doors (cash and VietQR transfer), handed to
// the post office, still outstanding; the supervisor confirms a phone's handover or records taking
// the cash. The figures are the server's (GET /api/dashboard/today, `cash`); docs/dashboard.md.
import * as api from '../lib/api.js'
import { h, replace } from '@common/dom.js'
import { money, time } from '@common/format.js'
import { t } from '../lib/i18n.js'

const COLUMNS = [
  'cash.postman',
  'cash.collectedCash',
  'cash.transfer',
  'cash.handedOver',
  'cash.awaiting',
  'cash.outstanding',
  'cash.records',
]

/** Fill `section` with the day's cash table; `onChange` re-reads the page after an action. */
export function renderCash(section, rows, { day, onChange }) {
  replace(
    section,
    h('h2', { id: 'cash-title' }, t('cash.title')),
    rows.length
      ? h(
          'table',
          { class: 'grid', id: 'cash-table' },
          h('caption', { class: 'visually-hidden' }, t('cash.title')),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              COLUMNS.map((key) => h('th', { scope: 'col' }, t(key))),
            ),
          ),
          h(
            'tbody',
            {},
            rows.map((row) => cashRow(row, day, onChange)),
          ),
        )
      : h('p', { class: 'empty' }, t('cash.none')),
    h('p', { class: 'note' }, t('cash.note')),
  )
}

function cashRow(row, day, onChange) {
  const amount = (key, value) => h('td', { 'class': 'num', 'data-cash': key }, money(value))
  return h(
    'tr',
    { 'data-postman-id': row.postman.id },
    h('th', { scope: 'row' }, row.postman.full_name),
    h(
      'td',
      { 'class': 'num', 'data-cash': 'cash_collected' },
      money(row.cash_collected),
      h(
        'div',
        { class: 'small muted' },
        t('cash.split', { service: money(row.service_fee_cash), government: money(row.government_fee_cash) }),
      ),
    ),
    amount('transfer_collected', row.transfer_collected),
    amount('handed_over', row.handed_over),
    amount('awaiting_receipt', row.awaiting_receipt),
    h(
      'td',
      { 'class': row.outstanding ? 'num warn' : 'num', 'data-cash': 'outstanding' },
      money(row.outstanding),
      row.outstanding > 0 ? takeButton(row, day, onChange) : null,
    ),
    h(
      'td',
      {},
      h(
        'ul',
        { class: 'plain' },
        row.handovers.map((record) => recordLine(record, onChange)),
      ),
    ),
  )
}

function recordLine(record, onChange) {
  const source = t(record.source === 'phone' ? 'cash.fromPhone' : 'cash.atDesk')
  const state =
    record.status === 'received'
      ? t('cash.receivedBy', { name: record.received_by?.full_name ?? '—', time: time(record.received_at) })
      : t(`cash_status.${record.status}`)
  return h(
    'li',
    { 'data-cash-handover': record.id, 'data-status': record.status },
    `${money(record.total)} · ${source} · ${state}`,
    record.flag_reason ? h('div', { class: 'warn small' }, t('cash.moreThanHeld')) : null,
    record.status === 'declared'
      ? action(t('cash.confirm'), () => api.post(`/api/cash-handovers/${record.id}/receive`, {}), onChange)
      : null,
  )
}

function takeButton(row, day, onChange) {
  return action(
    t('cash.take', { amount: money(row.outstanding) }),
    () =>
      api.post('/api/cash-handovers', {
        postman_id: row.postman.id,
        day,
        service_fee_cash: Math.max(row.outstanding_service, 0),
        government_fee_cash: Math.max(row.outstanding_government, 0),
      }),
    onChange,
  )
}

function action(label, call, onChange) {
  const button = h('button', {
    type: 'button',
    class: 'small',
    onclick: async () => {
      button.disabled = true
      try {
        await call()
        onChange()
      } catch (error) {
        button.disabled = false
        button.after(h('span', { class: 'error', role: 'alert' }, error.message))
      }
    },
  })
  button.textContent = label
  return h('div', {}, button)
}
