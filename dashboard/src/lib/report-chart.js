// The report's chart: items returned, collected and failed per period (stacked), and the share
// delivered on time as a line. The table under it carries the same figures as text.
import * as chartjs from 'chart.js'
import { period } from '@common/format.js'
import { t } from './i18n.js'

// Only the parts the chart draws with (the bundle leaves the others out).
chartjs.Chart.register(
  chartjs.BarController,
  chartjs.BarElement,
  chartjs.CategoryScale,
  chartjs.Legend,
  chartjs.LinearScale,
  chartjs.LineController,
  chartjs.LineElement,
  chartjs.PointElement,
  chartjs.Tooltip,
)

export function drawReportChart(canvas, report) {
  const periods = [...new Set(report.rows.map((r) => r.period))].sort()
  const sum = (period, key) => report.rows.filter((r) => r.period === period).reduce((n, r) => n + r[key], 0)
  const share = (period) => {
    const due = sum(period, 'delivered_with_due')
    return due ? Math.round((1000 * sum(period, 'delivered_on_time')) / due) / 10 : null
  }
  canvas.setAttribute('role', 'img')
  canvas.setAttribute('aria-label', t('report.chartLabel'))
  return new chartjs.Chart(canvas, {
    data: {
      labels: periods.map(period),
      datasets: [
        {
          type: 'bar',
          label: t('report.returned'),
          data: periods.map((p) => sum(p, 'returned')),
          backgroundColor: '#1b7f3b',
          stack: 'items',
        },
        {
          type: 'bar',
          label: t('report.collected'),
          data: periods.map((p) => sum(p, 'collected')),
          backgroundColor: '#1f5fbf',
          stack: 'items',
        },
        {
          type: 'bar',
          label: t('report.failed'),
          data: periods.map((p) => sum(p, 'failed')),
          backgroundColor: '#c77700',
          stack: 'items',
        },
        {
          type: 'line',
          label: t('report.onTimeShare'),
          data: periods.map(share),
          borderColor: '#6a1b9a',
          backgroundColor: '#6a1b9a',
          yAxisID: 'share',
          spanGaps: true,
          pointRadius: 5,
        },
      ],
    },
    options: {
      animation: false,
      datasets: { bar: { maxBarThickness: 90 } },
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        y: {
          stacked: true,
          beginAtZero: true,
          ticks: { precision: 0 },
          title: { display: true, text: t('report.items') },
        },
        x: { stacked: true },
        share: {
          position: 'right',
          min: 0,
          max: 100,
          grid: { drawOnChartArea: false },
          title: { display: true, text: '%' },
        },
      },
    },
  })
}
