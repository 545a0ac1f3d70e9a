// On Today: what the agencies ask of the post office: open requests to hold or cancel an item
// (done: a cancel cancels the item; or declined with a note), and electronic handover records an
// officer signed that wait for the post office's signature (countersigned on the handover page).
import * as api from '../lib/api.js'
import { announce, h, replace } from '@common/dom.js'
import { dateTime } from '@common/format.js'
import { t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'

export function renderAgencyRequests(section, { requests, awaiting }, { onChange }) {
  const say = h('p', { 'class': 'small', 'role': 'status', 'aria-live': 'polite' })
  async function resolve(r, action) {
    const note = action === 'declined' ? window.prompt(t('request.declineWhy'), '') : null
    if (action === 'declined' && note === null) return
    try {
      await api.post(`/api/item-requests/${r.id}/resolve`, { action, note })
      announce(t(`request.resolved.${action}`, { code: r.code }))
      onChange()
    } catch (error) {
      say.textContent = problemText(error)
    }
  }
  replace(
    section,
    h('h2', { id: 'agency-requests-title' }, t('request.forPost', { n: requests.length + awaiting.length })),
    say,
    requests.length || awaiting.length
      ? h(
          'ul',
          { id: 'agency-request-list' },
          requests.map((r) =>
            h(
              'li',
              { 'data-request-id': r.id },
              h('a', { href: `#/items/${r.item_id}` }, r.code),
              ` · ${t(`request.kind.${r.kind}`)} · ${r.reason} · ${dateTime(r.created_at)} `,
              h('button', { type: 'button', onclick: () => resolve(r, 'done') }, t(`request.do.${r.kind}`)),
              ' ',
              h(
                'button',
                { type: 'button', class: 'link', onclick: () => resolve(r, 'declined') },
                t('request.decline'),
              ),
            ),
          ),
          awaiting.map((record) =>
            h(
              'li',
              { 'data-awaiting-handover': record.id },
              h('a', { href: '#/handovers' }, record.number),
              ` · ${t('handover.awaits.awaiting_post')} · ${record.agency.name} · ${record.totals.items}`,
            ),
          ),
        )
      : h('p', { class: 'empty' }, t('request.nothing')),
  )
}
