// Reports per day or month by agency, procedure or postman: a chart, a table and CSV/XLSX exports.
import * as api from '../lib/api.js'
import { announce, h, replace } from '@common/dom.js'
import { selectField } from '../lib/fields.js'
import { fileLink } from '../lib/download.js'
import { followJob } from '../lib/jobs.js'
import { day, localToday, money, number, percent, period as periodLabel } from '@common/format.js'
import { label, t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'
import { drawReportChart } from '../lib/report-chart.js'

export function renderReports(main) {
  const today = localToday()
  const from = h('input', {
    type: 'date',
    id: 'report-from',
    required: true,
    value: `${today.slice(0, 8)}01`,
  })
  const to = h('input', { type: 'date', id: 'report-to', required: true, value: today })
  const period = selectField(t('report.period'), 'period', [
    { value: 'day', label: t('report.byDay') },
    { value: 'month', label: t('report.byMonth') },
    { value: 'quarter', label: t('report.byQuarter') },
  ])
  const group = selectField(
    t('report.groupBy'),
    'group',
    ['agency', 'procedure', 'postman'].map((g) => ({ value: g, label: t(`report.group.${g}`) })),
  )
  const message = h('div', { class: 'messages', id: 'report-messages' })
  const chartBox = h('div', { class: 'chart' })
  const table = h('div', { id: 'report-table' })
  let chart = null

  const query = () => ({
    date_from: from.value,
    date_to: to.value,
    period: period.input.value,
    group_by: group.input.value,
  })

  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, t('report.title'))),
    h(
      'form',
      {
        class: 'card inline-form',
        onsubmit: (event) => {
          event.preventDefault()
          show()
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'report-from' }, t('report.from')), from),
      h('div', { class: 'field' }, h('label', { for: 'report-to' }, t('report.to')), to),
      period.field,
      group.field,
      h('button', { type: 'submit', class: 'primary', id: 'report-show' }, t('report.show')),
      h(
        'button',
        { type: 'button', id: 'export-csv', onclick: () => exportAs('csv') },
        t('report.exportCsv'),
      ),
      h(
        'button',
        { type: 'button', id: 'export-xlsx', onclick: () => exportAs('xlsx') },
        t('report.exportXlsx'),
      ),
    ),
    message,
    chartBox,
    table,
  )

  async function show() {
    replace(message)
    try {
      const report = await api.get('/api/reports', query())
      if (chart) chart.destroy()
      chart = null
      if (report.empty) {
        replace(chartBox)
        replace(table, h('p', { class: 'empty', id: 'report-empty' }, t('report.empty')))
        announce(t('report.empty'))
        return
      }
      const canvas = h('canvas', { id: 'report-chart' })
      replace(chartBox, canvas)
      chart = drawReportChart(canvas, report)
      replace(table, reportTable(report))
    } catch (error) {
      replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  /** The export runs as a background job (any range, no request timeout): show its steps, then download. */
  async function exportAs(format) {
    replace(message)
    const bar = h('progress', { id: 'report-export-progress', max: 5, value: 0 })
    const text = h('span', { id: 'report-export-text' })
    try {
      const job = await api.post('/api/reports/export-jobs', undefined, { ...query(), format })
      replace(message, h('div', { role: 'status', id: 'report-export-job' }, bar, ' ', text))
      announce(t('report.exportQueued'))
      const done = await followJob(job, (now) => {
        bar.max = Math.max(now.rows_total, 1)
        bar.value = now.rows_checked
        text.textContent =
          now.status === 'queued'
            ? t('report.exportQueued')
            : t('report.exportBuilding', { n: number(now.rows_checked), total: number(now.rows_total) })
      })
      const { link, url } = await fileLink(
        done.result.download,
        {},
        t('report.download', { format: format.toUpperCase() }),
        done.result.file,
      )
      link.id = `report-download-${format}`
      replace(message, h('p', { class: 'ok', role: 'status' }, t('report.ready'), ' ', link))
      link.click()
      setTimeout(() => URL.revokeObjectURL(url), 120_000)
    } catch (error) {
      replace(message, h('p', { class: 'error', role: 'alert', id: 'report-error' }, problemText(error)))
    }
  }

  show()
  return () => {
    if (chart) chart.destroy()
  }
}

function reportTable(report) {
  const columns = [
    ['report.col.period', (r) => periodLabel(r.period)],
    ['report.col.group', (r) => r.label],
    ['report.returned', (r) => number(r.returned)],
    ['report.collected', (r) => number(r.collected)],
    ['report.failed', (r) => number(r.failed)],
    [
      'report.byReason',
      (r) =>
        Object.entries(r.failed_by_reason)
          .map(([k, v]) => `${label('reason', k)}: ${v}`)
          .join('; ') || '—',
    ],
    ['report.onTime', (r) => `${number(r.delivered_on_time)}/${number(r.delivered_with_due)}`],
    ['report.onTimeShare', (r) => percent(r.on_time_share)],
    ['report.serviceFees', (r) => money(r.service_fees_collected)],
    ['report.govFees', (r) => money(r.government_fees_collected)],
    ['report.handedOver', (r) => money(r.fees_handed_over)],
    ['report.notHandedOver', (r) => money(r.fees_not_handed_over)],
    ['report.complaints', (r) => `${number(r.complaints_answered_on_time)}/${number(r.complaints)}`],
  ]
  const row = (r, total) =>
    h(
      'tr',
      { 'class': total ? 'total-row' : '', 'data-key': total ? 'total' : `${r.period}:${r.key}` },
      columns.map(([key, get], i) =>
        i < 2
          ? h(i === 1 ? 'th' : 'td', i === 1 ? { scope: 'row' } : {}, total && i === 0 ? '' : get(r))
          : h('td', { 'class': 'num', 'data-col': key }, get(r)),
      ),
    )
  return h(
    'table',
    { class: 'grid report' },
    h(
      'caption',
      {},
      t('report.caption', {
        from: day(report.date_from),
        to: day(report.date_to),
        group: t(`report.group.${report.group_by}`),
      }),
    ),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map(([key]) => h('th', { scope: 'col' }, t(key))),
      ),
    ),
    h(
      'tbody',
      {},
      report.rows.map((r) => row(r, false)),
    ),
    h('tfoot', {}, row(report.totals, true)),
  )
}
