// Today at a glance: each round's progress and phones, and the exceptions, re-read every few seconds.
import * as api from '../lib/api.js'
import { announce, h, replace } from '@common/dom.js'
import { dateTime, localToday, minutesSince, number, time } from '@common/format.js'
import { t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'
import { changed } from '../lib/memo.js'
import { poll } from '../lib/poller.js'
import { roundPrintButtons } from '../lib/printing.js'
import { renderAgencyRequests } from './agency-requests.js'
import { renderCash } from './cash.js'
import { renderExceptions } from './exceptions.js'
import { exceptionAlerts, setSound, soundOn } from '../lib/alerts.js'

const BUCKETS = ['returned', 'collected', 'failed', 'pending']

export function renderToday(main, { config, params }) {
  let day = params.get('date') || localToday()
  const status = h('p', { class: 'muted', id: 'today-updated' })
  const totals = h('div', { class: 'totals', id: 'today-totals' })
  const rounds = h('div', { id: 'today-rounds' })
  const cash = h('section', { 'id': 'today-cash', 'aria-labelledby': 'cash-title' })
  const asked = h('section', { 'id': 'today-agency-requests', 'aria-labelledby': 'agency-requests-title' })
  const exceptions = h('section', { 'id': 'exceptions', 'aria-labelledby': 'exceptions-title' })
  const error = h('p', { class: 'error', role: 'alert' })
  const showAcknowledged = h('input', {
    type: 'checkbox',
    id: 'exceptions-acknowledged',
    onchange: () => poller.now(),
  })
  // The office picker: only for a user who sees several commune post offices (a provincial role).
  const officeSelect = h('select', { id: 'today-office', onchange: () => poller.now() })
  const officeField = h(
    'div',
    { class: 'field inline', hidden: true },
    h('label', { for: 'today-office' }, t('today.office')),
    officeSelect,
  )
  api
    .get('/api/offices')
    .then((offices) => {
      const communes = offices.filter((o) => o.kind === 'commune')
      if (communes.length < 2) return
      replace(
        officeSelect,
        h('option', { value: '' }, t('today.allOffices')),
        communes.map((o) => h('option', { value: String(o.id) }, o.name)),
      )
      officeField.hidden = false
    })
    .catch(() => {})
  const sound = h('input', {
    type: 'checkbox',
    id: 'today-sound',
    checked: soundOn(),
    onchange: () => setSound(sound.checked),
  })
  const alerts = exceptionAlerts(() => `${t('today.title')} — PostRound`)
  const dayInput = h('input', {
    type: 'date',
    id: 'today-date',
    value: day,
    onchange: () => {
      day = dayInput.value || localToday()
      poller.now()
    },
  })

  replace(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('today.title')),
      h('div', { class: 'field inline' }, h('label', { for: 'today-date' }, t('common.date')), dayInput),
      officeField,
      h('button', { type: 'button', onclick: () => poller.now() }, t('common.refresh')),
      h('div', { class: 'field inline' }, sound, h('label', { for: 'today-sound' }, t('today.sound'))),
      status,
    ),
    error,
    totals,
    // Side by side on a wide screen (the exceptions in view at 1366×768), the exceptions first on a tablet.
    h(
      'div',
      { class: 'today-layout' },
      h(
        'section',
        { 'class': 'today-rounds', 'aria-labelledby': 'rounds-title' },
        h('h2', { id: 'rounds-title' }, t('today.rounds')),
        h('p', { class: 'muted small' }, t('today.riskOrder')),
        rounds,
        h('p', { class: 'note' }, t('today.honest')),
      ),
      h(
        'div',
        { class: 'today-exceptions' },
        exceptions,
        h(
          'div',
          { class: 'field inline' },
          showAcknowledged,
          h('label', { for: 'exceptions-acknowledged' }, t('exc.showAcknowledged')),
        ),
      ),
    ),
    asked,
    cash,
  )

  let lastSeq = null
  let awaiting = null
  async function refresh() {
    try {
      const [view, found, requests] = await Promise.all([
        api.get('/api/dashboard/today', { date: day, office_id: officeSelect.value }),
        api.get('/api/dashboard/exceptions', { date: day, include_acknowledged: showAcknowledged.checked }),
        api.get('/api/item-requests', { status: 'open', per_page: 100 }),
      ])
      // Records awaiting the post office's signature: read when the page opens (listing records is
      // an audited read of personal data, so not on every poll); countersigned on the handover page.
      awaiting ??= await api.get('/api/handovers', { status: 'awaiting_post', per_page: 50 })
      if (changed(asked, [requests, awaiting]))
        renderAgencyRequests(asked, { requests, awaiting }, { onChange: () => poller.now() })
      error.textContent = ''
      if (changed(totals, view.totals)) replace(totals, renderTotals(view.totals))
      // The minute is part of the key: "synced 3 min ago" must age even when nothing else changes.
      if (changed(rounds, [view.rounds, Math.floor(Date.now() / 60000)]))
        replace(
          rounds,
          renderRounds(view.rounds, config, (text) => (error.textContent = text)),
        )
      if (changed(cash, [view.cash, day])) renderCash(cash, view.cash, { day, onChange: () => poller.now() })
      renderExceptions(exceptions, found, { config, onChange: () => poller.now() })
      alerts.update(found.exceptions)
      status.textContent = t('today.updated', { time: time(new Date().toISOString()) })
      if (lastSeq !== null && view.sync_seq !== lastSeq) announce(t('today.changed'))
      lastSeq = view.sync_seq
    } catch (e) {
      error.textContent = problemText(e)
    }
  }

  // A hidden tab keeps polling once a minute, so its title can count new exceptions.
  const poller = poll(refresh, config.poll_seconds, { hiddenSeconds: 60 })
  return () => {
    poller.stop()
    alerts.stop()
  }
}

function renderTotals(totals) {
  return [...BUCKETS, 'stops'].map((key) =>
    h(
      'div',
      { 'class': `total total-${key}`, 'data-total': key },
      h('span', { class: 'total-n' }, number(totals[key])),
      h('span', { class: 'total-label' }, t(`bucket.${key}`)),
    ),
  )
}

function renderRounds(list, config, onError) {
  if (!list.length) return h('p', { class: 'empty' }, t('today.noRounds'))
  return h(
    'table',
    { class: 'grid' },
    h('caption', { class: 'visually-hidden' }, t('today.rounds')),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [
          'today.postman',
          'today.progress',
          'today.risk',
          'bucket.returned',
          'bucket.collected',
          'bucket.failed',
          'bucket.pending',
          'today.devices',
          'today.uploading',
          'today.flagged',
        ].map((key) => h('th', { scope: 'col' }, t(key))),
      ),
    ),
    h(
      'tbody',
      {},
      list.map((r) => roundRow(r, config, onError)),
    ),
  )
}

function roundRow(r, config, onError) {
  const done = r.counts.returned + r.counts.collected + r.counts.failed
  return h(
    'tr',
    { 'data-round-id': r.id },
    h(
      'th',
      { scope: 'row' },
      r.postman.full_name,
      h('div', { class: 'muted small' }, `#${r.id} · ${t(`round.${r.status}`)}`),
      h('div', { class: 'print-buttons' }, roundPrintButtons(r, onError)),
    ),
    h(
      'td',
      {},
      progressBar(r),
      h('div', { class: 'small' }, t('today.doneOf', { done, total: r.stop_count })),
    ),
    h('td', { 'class': 'risk', 'data-risk': r.risk.score }, riskCell(r)),
    ...['returned', 'collected', 'failed', 'pending'].map((key) =>
      h('td', { 'class': 'num', 'data-count': key }, number(r.counts[key])),
    ),
    h(
      'td',
      {},
      r.devices.length
        ? h(
            'ul',
            { class: 'plain' },
            r.devices.map((d) => deviceLine(d, config)),
          )
        : h('span', { class: 'warn' }, t('today.noDevice')),
    ),
    h('td', { class: 'num' }, number(r.incomplete_proofs)),
    h('td', { class: 'num' }, number(r.flagged_proofs)),
  )
}

function riskCell(r) {
  const reasons = r.risk.reasons.map((reason) =>
    h('li', { 'class': 'warn', 'data-reason': reason.code }, t(`risk.${reason.code}`, reason.params)),
  )
  const next = r.eta[0]
  return [
    reasons.length ? h('ul', { class: 'plain' }, reasons) : h('span', { class: 'ok' }, t('risk.onTrack')),
    next
      ? h(
          'div',
          { 'class': 'small muted', 'data-eta': next.item_id },
          t('risk.next', { code: next.code, time: time(next.eta) }),
          ' · ',
          t('risk.finish', { time: time(r.finish_eta), pace: number(r.pace_minutes) }),
        )
      : null,
  ]
}

function progressBar(r) {
  const total = r.stop_count || 1
  const bar = h('div', {
    'class': 'bar',
    'role': 'img',
    'aria-label': BUCKETS.map((b) => `${t(`bucket.${b}`)}: ${r.counts[b]}`).join(', '),
  })
  for (const key of BUCKETS) {
    if (r.counts[key])
      bar.append(h('span', { class: `seg seg-${key}`, style: `width:${(100 * r.counts[key]) / total}%` }))
  }
  return bar
}

function deviceLine(d, config) {
  const minutes = minutesSince(d.last_sync_at)
  const when = d.last_sync_at ? t('today.syncedAgo', { minutes }) : t('today.neverSynced')
  return h(
    'li',
    { class: d.stale ? 'warn' : '', title: d.last_sync_at ? dateTime(d.last_sync_at) : '' },
    h('span', {}, d.label || d.id.slice(0, 8)),
    ' — ',
    when,
    h(
      'div',
      { class: 'small muted' },
      t('today.deviceDetail', { seq: d.last_seq, applied: d.applied_today, rejected: d.rejected_today }),
    ),
    d.stale
      ? h('div', { class: 'small' }, t('today.stale', { minutes: config.unsynced_device_minutes }))
      : null,
  )
}
