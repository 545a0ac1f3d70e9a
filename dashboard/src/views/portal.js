// The agency portal (#/mine): an agency officer's own items, searched and filtered, due and
// overdue; one item's story (GET /api/items/{id}/timeline) with its outcome, and a request to the
// post to hold or cancel it (POST /api/items/{id}/requests), which the supervisors see on Today.
import * as api from '../lib/api.js'
import { announce, h, replace } from '@common/dom.js'
import { dateTime, day, number } from '@common/format.js'
import { fileLink } from '../lib/download.js'
import { selectField } from '../lib/fields.js'
import { label, t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'
import { proofFiles } from './proof.js'

const STATUSES = [
  'registered',
  'at_post_office',
  'assigned',
  'failed_attempt',
  'delivered',
  'collected',
  'handed_to_agency',
  'return_to_agency',
  'returned_to_agency',
  'cancelled',
]
const PER_PAGE = 50
const DUE_SOON = 2 // "due soon": within this many working days

export function renderPortal(main, { segments }) {
  if (segments[0]) return renderMyItem(main, Number(segments[0]))
  const message = h('div', { class: 'messages' })
  const results = h('section', { 'aria-labelledby': 'mine-list-title' })
  const q = h('input', { id: 'mine-q', type: 'search', maxlength: 100 })
  const status = selectField(t('mine.status'), 'status', [
    { value: '', label: t('mine.anyStatus') },
    ...STATUSES.map((s) => ({ value: s, label: label('status', s) })),
  ])
  // Due and overdue in working days, by the server's one rule (backend/domain/workdays.py).
  const deadline = selectField(t('mine.deadline'), 'deadline', [
    { value: '', label: t('mine.anyDeadline') },
    { value: 'due', label: t('mine.dueSoon', { n: number(DUE_SOON) }) },
    { value: 'overdue', label: t('mine.overdue') },
  ])
  const requests = h('section', { 'aria-labelledby': 'mine-requests-title' })

  function filters() {
    const query = { sort: 'due_date' }
    if (q.value.trim()) query.q = q.value.trim()
    if (status.input.value) query.status = status.input.value
    if (deadline.input.value === 'overdue') query.overdue = true
    if (deadline.input.value === 'due') query.due_within = DUE_SOON
    return query
  }

  async function load() {
    try {
      const items = await api.get('/api/items', { ...filters(), per_page: PER_PAGE })
      replace(
        results,
        h('h2', { id: 'mine-list-title' }, t('mine.list', { n: number(items.length) })),
        table(items),
      )
    } catch (error) {
      replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  /** The items the filters find (every page), with the fees collected and passed on, as a file. */
  async function download(format) {
    try {
      const { link } = await fileLink(
        '/api/items/export',
        { ...filters(), format },
        format,
        `buu-gui.${format}`,
      )
      link.id = `mine-export-${format}`
      document.body.append(link)
      link.click()
      link.remove()
    } catch (error) {
      replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  async function loadRequests() {
    try {
      const rows = await api.get('/api/item-requests', { per_page: 20 })
      replace(
        requests,
        h('h2', { id: 'mine-requests-title' }, t('mine.requests')),
        rows.length ? requestList(rows) : h('p', { class: 'empty' }, t('mine.noRequests')),
      )
    } catch (error) {
      replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, t('mine.title'))),
    message,
    h(
      'form',
      {
        class: 'inline-form',
        role: 'search',
        onsubmit: (event) => {
          event.preventDefault()
          load()
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'mine-q' }, t('mine.search')), q),
      status.field,
      deadline.field,
      h('button', { type: 'submit', class: 'primary' }, t('mine.find')),
      h('button', { type: 'button', id: 'mine-csv', onclick: () => download('csv') }, t('mine.csv')),
      h('button', { type: 'button', id: 'mine-xlsx', onclick: () => download('xlsx') }, t('mine.xlsx')),
    ),
    results,
    requests,
  )
  load()
  loadRequests()
  return null
}

function table(items) {
  if (!items.length) return h('p', { class: 'empty' }, t('mine.none'))
  return h(
    'table',
    { class: 'grid', id: 'mine-items' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['plan.code', 'handover.dossier', 'plan.recipient', 'plan.status', 'mine.due', 'mine.attempts'].map(
          (k) => h('th', { scope: 'col' }, t(k)),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      items.map((item) => {
        const left = item.working_days_left
        return h(
          'tr',
          { 'data-item-id': item.id },
          h('td', { class: 'code' }, h('a', { href: `#/mine/${item.id}` }, item.code)),
          h('td', {}, item.dossier_code || '—'),
          h('td', {}, item.recipient_name),
          h('td', {}, label('status', item.status)),
          h(
            'td',
            { 'class': left != null && left < 0 ? 'error' : '', 'data-left': left ?? '' },
            item.due_date ? day(item.due_date) : '—',
            lateness(left),
          ),
          h('td', { class: 'num' }, number(item.attempt_count)),
        )
      }),
    ),
  )
}

/** The server's working days left in words: overdue by n, due now, n left (nothing once it is done). */
function lateness(left) {
  if (left == null) return ''
  if (left < 0) return ` · ${t('mine.late', { n: number(-left) })}`
  if (left === 0) return ` · ${t('mine.dueNow')}`
  return ` · ${t('mine.left', { n: number(left) })}`
}

function requestList(rows) {
  return h(
    'ul',
    { id: 'mine-request-list' },
    rows.map((r) =>
      h(
        'li',
        { 'data-request-id': r.id },
        `${r.code} · ${t(`request.kind.${r.kind}`)} · ${t(`request.status.${r.status}`)} · ${dateTime(r.created_at)}`,
        r.note ? ` · ${r.note}` : '',
      ),
    ),
  )
}

/** One entry of the story in words: the status it moved to, a visit's outcome and failure reason. */
function storyWords(e) {
  if (e.kind === 'proof')
    return [label('outcome', e.outcome), e.reason ? ` · ${label('reason', e.reason)}` : ''].join('')
  if (e.to_status) return [label('status', e.to_status), e.reason ? ` · ${e.reason}` : ''].join('')
  return t(`mine.kind.${e.kind}`)
}

/** The outcome of a visit, on request (each view is audited): when, to whom and as what, the masked
 *  ID, the next attempt, the collected dossier's checklist and seal number. */
async function showProof(proofId, box) {
  try {
    const p = await api.get(`/api/proofs/${proofId}`)
    const facts = [
      [t('mine.proofWhen'), dateTime(p.server_time)],
      [t('mine.proofOutcome'), label('outcome', p.outcome)],
      [t('mine.proofReceiver'), p.receiver_name],
      [t('mine.proofRelation'), p.receiver_relation],
      [t('mine.proofId'), p.id_number_masked],
      [t('mine.proofReason'), p.reason_code ? label('reason', p.reason_code) : null],
      [t('mine.nextAttempt'), p.next_attempt_date ? day(p.next_attempt_date) : null],
      [t('mine.proofSeal'), p.seal_number],
      [
        t('mine.proofChecklist'),
        p.checklist?.length
          ? p.checklist.map((c) => `${c.name} (${c.present ? '✓' : '✗'})`).join(', ')
          : null,
      ],
    ].filter(([, value]) => value)
    replace(
      box,
      h(
        'dl',
        { class: 'facts' },
        facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      // The signature and photos, each fetched (and audited) on this request, zoomable on a click.
      proofFiles(p, []),
    )
  } catch (error) {
    replace(box, h('p', { class: 'error', role: 'alert' }, problemText(error)))
  }
}

function renderMyItem(main, itemId) {
  const message = h('div', { class: 'messages', id: 'mine-messages' })
  const body = h('div', {})
  replace(main, h('p', {}, h('a', { href: '#/mine' }, t('mine.back'))), message, body)

  async function load() {
    try {
      const [item, story] = await Promise.all([
        api.get(`/api/items/${itemId}`),
        api.get(`/api/items/${itemId}/timeline`),
      ])
      draw(item, story)
    } catch (error) {
      replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  function draw(item, story) {
    const reason = h('input', { id: 'request-reason', required: true, maxlength: 500 })
    const kind = selectField(
      t('request.kind'),
      'kind',
      ['hold', 'cancel'].map((k) => ({ value: k, label: t(`request.kind.${k}`) })),
    )
    replace(
      body,
      h('h1', {}, `${item.code} · ${label('status', item.status)}`),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('handover.dossier')),
        h('dd', {}, item.dossier_code || '—'),
        h('dt', {}, t('plan.recipient')),
        h('dd', {}, item.recipient_name),
        h('dt', {}, t('mine.due')),
        h('dd', {}, item.due_date ? day(item.due_date) : '—', lateness(item.working_days_left)),
        h('dt', {}, t('mine.attempts')),
        h('dd', {}, number(item.attempt_count)),
        item.next_attempt_from ? h('dt', {}, t('mine.nextAttempt')) : null,
        item.next_attempt_from ? h('dd', {}, day(item.next_attempt_from)) : null,
      ),
      h('h2', {}, t('mine.story')),
      h(
        'ol',
        { id: 'mine-story' },
        story.entries.map((e) => {
          const shown = h('div', { 'class': 'proof-shown', 'data-proof': e.proof_id })
          return h(
            'li',
            {},
            `${dateTime(e.at)} · `,
            storyWords(e),
            e.kind === 'proof'
              ? [
                  ' ',
                  h(
                    'button',
                    { type: 'button', class: 'link', onclick: () => showProof(e.proof_id, shown) },
                    t('mine.showProof'),
                  ),
                  shown,
                ]
              : null,
          )
        }),
      ),
      h(
        'section',
        { 'class': 'card', 'aria-labelledby': 'request-title' },
        h('h2', { id: 'request-title' }, t('request.title')),
        h(
          'form',
          {
            onsubmit: async (event) => {
              event.preventDefault()
              try {
                await api.post(`/api/items/${item.id}/requests`, {
                  kind: kind.input.value,
                  reason: reason.value.trim(),
                })
                const text = t('request.sent', { code: item.code })
                replace(message, h('p', { class: 'ok', role: 'status', id: 'request-sent' }, text))
                announce(text)
              } catch (error) {
                replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error)))
              }
            },
          },
          h(
            'div',
            { class: 'inline-form' },
            kind.field,
            h('div', { class: 'field' }, h('label', { for: 'request-reason' }, t('request.reason')), reason),
          ),
          h('button', { type: 'submit', class: 'primary', id: 'request-submit' }, t('request.submit')),
        ),
      ),
    )
  }

  load()
  return null
}
