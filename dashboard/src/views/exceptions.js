// The exceptions a supervisor must handle, most urgent first, each with its action.
import * as api from '../lib/api.js'
import { problemText } from '../lib/problems.js'
import { h, replace } from '@common/dom.js'
import { dateTime, day, metres } from '@common/format.js'
import { label, t } from '../lib/i18n.js'
import { changed } from '../lib/memo.js'
import { openProof } from './proof.js'

const KINDS = [
  'flagged_proof',
  'location_mismatch',
  'unsynced_device',
  'attempt_limit',
  'failed_attempt',
  'overdue',
  'citizen_answer',
]

export function renderExceptions(section, found, { onChange }) {
  if (!changed(section, found)) return
  const total = found.exceptions.filter((e) => !e.acknowledged).length
  replace(
    section,
    h('h2', { id: 'exceptions-title' }, t('exc.title', { n: total })),
    h(
      'ul',
      { 'class': 'chips', 'aria-label': t('exc.counts') },
      KINDS.map((kind) =>
        h(
          'li',
          { 'class': `chip chip-${kind}`, 'data-kind-count': kind },
          `${label('exc.kind', kind)}: ${found.counts[kind] || 0}`,
        ),
      ),
    ),
    found.exceptions.length
      ? h(
          'ol',
          { class: 'exceptions' },
          found.exceptions.map((e) => row(e, onChange)),
        )
      : h('p', { class: 'empty' }, t('exc.none')),
  )
}

function row(e, onChange) {
  const who = e.item
    ? [h('strong', { class: 'code' }, e.item.code), ` — ${e.item.recipient_name}, ${e.item.commune}`]
    : [h('strong', {}, e.postman?.full_name || '—')]
  return h(
    'li',
    {
      'class': `exception exc-${e.kind}${e.acknowledged ? ' acknowledged' : ''}`,
      'data-kind': e.kind,
      'data-item-code': e.item?.code || '',
      'data-acknowledged': e.acknowledged ? 'true' : null,
    },
    h(
      'div',
      { class: 'exc-head' },
      h('span', { class: `badge badge-${e.kind}` }, label('exc.kind', e.kind)),
      ' ',
      ...who,
    ),
    e.acknowledged
      ? h(
          'div',
          { class: 'exc-ack muted small' },
          t('exc.acknowledgedBy', {
            name: e.acknowledged.by?.full_name || '—',
            time: dateTime(e.acknowledged.at),
          }),
          e.acknowledged.note ? ` — ${e.acknowledged.note}` : '',
        )
      : null,
    h('div', { class: 'exc-facts' }, facts(e)),
    h(
      'div',
      { class: 'exc-action' },
      h('span', { class: 'action-label' }, `${t('exc.todo')}: `),
      label('exc.action', e.action),
    ),
    h('div', { class: 'exc-buttons' }, buttons(e, onChange)),
  )
}

function facts(e) {
  const f = e.facts || {}
  const postman = e.postman ? ` · ${t('exc.by', { name: e.postman.full_name })}` : ''
  const when = e.at ? ` · ${dateTime(e.at)}` : ''
  switch (e.kind) {
    case 'flagged_proof':
      return (
        t('exc.fact.flagged', {
          reason: label('flag', f.flag_reason),
          outcome: label('outcome', f.outcome),
        }) +
        postman +
        when
      )
    case 'location_mismatch':
      return (
        t('exc.fact.mismatch', {
          distance: metres(f.distance_m),
          limit: metres(f.limit_m),
          outcome: label('outcome', f.outcome),
        }) +
        postman +
        when
      )
    case 'unsynced_device':
      if (!f.has_device) return t('exc.fact.noDevice')
      if (f.minutes === null || f.minutes === undefined) return t('exc.fact.neverSynced')
      return t('exc.fact.silent', { minutes: f.minutes, limit: f.limit_minutes })
    case 'attempt_limit':
      return t('exc.fact.limit', { attempts: f.attempts, reason: label('reason', f.reason_code) }) + postman
    case 'failed_attempt':
      return (
        t('exc.fact.failed', {
          reason: label('reason', f.reason_code),
          attempts: f.attempts,
          limit: f.limit,
        }) +
        (f.next_attempt_date ? ` · ${t('exc.fact.next', { date: day(f.next_attempt_date) })}` : '') +
        (f.next_attempt_from
          ? ` · ${t('exc.fact.counts', { date: day(f.next_attempt_from), n: f.invitations })}`
          : '') +
        postman +
        when
      )
    case 'overdue':
      return (
        t('exc.fact.overdue', { days: f.days_late, date: day(e.item?.due_date) }) +
        ` · ${label('status', e.item?.status)}`
      )
    case 'citizen_answer':
      return (
        t(`exc.fact.answer.${f.choice}`, { date: day(f.day), name: f.stand_in_name ?? '' }) +
        ` · ${label('status', e.item?.status)}` +
        when
      )
    default:
      return ''
  }
}

function buttons(e, onChange) {
  const out = []
  if (e.proof_id) {
    out.push(
      h('button', { type: 'button', onclick: () => openProof(e.proof_id, { onChange }) }, t('exc.openProof')),
    )
  }
  if (
    ['reassign', 'reattempt', 'assign_today', 'deliver_first', 'collect_first', 'fetch_from_agency'].includes(
      e.action,
    ) &&
    e.item
  ) {
    out.push(h('a', { class: 'button', href: `#/planning?item=${e.item.id}` }, t('exc.goPlan')))
  }
  if (['return_to_agency', 'hand_to_agency'].includes(e.action) && e.item) {
    out.push(
      h(
        'a',
        {
          class: 'button',
          href: `#/handovers?direction=post_to_agency&agency=${e.item.agency_id}&item=${e.item.id}`,
        },
        t('exc.goHandover'),
      ),
    )
  }
  if (e.subject && !e.acknowledged) out.push(ackButton(e, onChange))
  return out
}

// "Checked" / "noted": the exception leaves the list, with who and when (kept by the server).
function ackButton(e, onChange) {
  const button = h(
    'button',
    {
      'type': 'button',
      'data-action': 'acknowledge',
      'onclick': async () => {
        button.disabled = true
        try {
          await api.post('/api/dashboard/exceptions/acknowledge', { kind: e.kind, subject: e.subject })
          onChange?.()
        } catch (error) {
          button.disabled = false
          button.after(h('span', { class: 'error', role: 'alert' }, problemText(error)))
        }
      },
    },
    t(`exc.ack.${e.kind}`),
  )
  return button
}
