// Citizens' complaints (docs/citizen.md): filed from the tracking page, each with its deadline
// (5 working days inside a province), soonest first; the supervisor answers once and the citizen
// reads the answer on the tracking page. GET /api/complaints, POST /api/complaints/<id>/answer.
import * as api from '../lib/api.js'
import { announce, h, replace } from '@common/dom.js'
import { dateTime, day, localToday } from '@common/format.js'
import { t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'

export function renderComplaints(main) {
  const list = h('div', { id: 'complaint-list' }, h('p', { class: 'muted' }, t('complaints.loading')))
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, t('complaints.title'))), list)
  const show = async () => {
    try {
      const rows = await api.get('/api/complaints?per_page=200')
      replace(
        list,
        rows.length
          ? rows.map((row) => complaintCard(row, show))
          : h('p', { class: 'empty' }, t('complaints.none')),
      )
    } catch (error) {
      replace(list, h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }
  show()
  return () => {}
}

function complaintCard(row, onChange) {
  const late = !row.answered_at && row.due_on < localToday()
  return h(
    'section',
    { 'class': 'card complaint', 'data-complaint-id': row.id, 'data-open': row.answered_at ? '0' : '1' },
    h(
      'h2',
      {},
      h('a', { href: `#/items/${row.item_id}` }, row.code),
      ' · ',
      h('span', { class: late ? 'warn' : '' }, t('complaints.due', { day: day(row.due_on) })),
    ),
    h('p', { class: 'small muted' }, t('complaints.filed', { at: dateTime(row.filed_at) })),
    h('blockquote', {}, row.text),
    row.answered_at
      ? h('p', { class: 'ok' }, t('complaints.answered', { at: dateTime(row.answered_at) }), ' ', row.answer)
      : answerForm(row, onChange),
  )
}

function answerForm(row, onChange) {
  const id = `complaint-answer-${row.id}`
  const text = h('textarea', { id, rows: 3, required: true, maxlength: 2000 })
  const message = h('div', { class: 'messages' })
  return h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault()
        try {
          await api.post(`/api/complaints/${row.id}/answer`, { answer: text.value })
          announce(t('complaints.sent'))
          onChange()
        } catch (error) {
          replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error)))
        }
      },
    },
    h('label', { for: id }, t('complaints.answer')),
    text,
    message,
    h('button', { type: 'submit', class: 'primary' }, t('complaints.send')),
  )
}
