// The agency portal's fees page (#/fees): the government fees (lệ phí) the post collected for the
// officer's agency, passed on to it on signed handover records, and still held, per day or month with
// totals (GET /api/agency/fees). Its totals are the items export's for the same fees.
import * as api from '../lib/api.js'
import { h, replace } from '@common/dom.js'
import { localToday, money, period as periodLabel } from '@common/format.js'
import { selectField } from '../lib/fields.js'
import { t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'

export function renderFees(main) {
  const today = localToday()
  const from = h('input', { type: 'date', id: 'fees-from', required: true, value: `${today.slice(0, 8)}01` })
  const to = h('input', { type: 'date', id: 'fees-to', required: true, value: today })
  const group = selectField(t('fees.group'), 'fees-group', [
    { value: 'day', label: t('fees.byDay') },
    { value: 'month', label: t('fees.byMonth') },
  ])
  const message = h('div', { class: 'messages' })
  const results = h('section', { 'aria-labelledby': 'fees-table-title' })

  async function load() {
    replace(message)
    try {
      const body = await api.get('/api/agency/fees', {
        date_from: from.value,
        date_to: to.value,
        group: group.input.value,
      })
      replace(results, h('h2', { id: 'fees-table-title' }, t('fees.table')), table(body))
    } catch (error) {
      replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, t('fees.title'))),
    h('p', { class: 'hint' }, t('fees.explain')),
    message,
    h(
      'form',
      {
        class: 'inline-form',
        onsubmit: (event) => {
          event.preventDefault()
          load()
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'fees-from' }, t('fees.from')), from),
      h('div', { class: 'field' }, h('label', { for: 'fees-to' }, t('fees.to')), to),
      group.field,
      h('button', { type: 'submit', class: 'primary' }, t('fees.show')),
    ),
    results,
  )
  load()
}

function table({ rows, totals }) {
  const cells = (r) => [
    h('td', { class: 'num' }, money(r.collected)),
    h('td', { class: 'num' }, money(r.passed_on)),
    h('td', { class: 'num' }, money(r.held)),
  ]
  return h(
    'div',
    {},
    h(
      'table',
      { class: 'grid', id: 'fees-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['fees.period', 'fees.collected', 'fees.passedOn', 'fees.held'].map((k) =>
            h('th', { scope: 'col' }, t(k)),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((r) =>
              h(
                'tr',
                { 'data-period': r.period },
                h('th', { scope: 'row' }, periodLabel(r.period)),
                ...cells(r),
              ),
            )
          : h('tr', {}, h('td', { colspan: 4, class: 'empty' }, t('fees.none'))),
      ),
      h(
        'tfoot',
        {},
        h('tr', { id: 'fees-totals' }, h('th', { scope: 'row' }, t('fees.total')), ...cells(totals)),
      ),
    ),
    h('p', { id: 'fees-held-before' }, t('fees.heldBefore', { amount: money(totals.held_before) })),
  )
}
