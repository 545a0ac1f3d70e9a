// Import items from a one-stop-shop export: preview (nothing written), then import all or nothing.
import * as api from '../lib/api.js'
import { announce, h, replace } from '@common/dom.js'
import { selectField } from '../lib/fields.js'
import { day, money, number } from '@common/format.js'
import { lang, t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'
import { followJob } from '../lib/jobs.js'

export function renderImport(main) {
  const file = h('input', {
    type: 'file',
    id: 'import-file',
    accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    required: true,
  })
  const agencyBox = h('div')
  const result = h('section', { 'id': 'import-preview', 'aria-live': 'polite' })
  const message = h('div', { class: 'messages', id: 'import-messages' })
  let agency = { input: { value: '' } }

  replace(
    main,
    h('div', { class: 'page-head' }, h('h1', {}, t('import.title'))),
    h('p', { class: 'muted' }, t('import.hint')),
    h(
      'form',
      {
        class: 'card inline-form',
        onsubmit: (event) => {
          event.preventDefault()
          preview()
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'import-file' }, t('import.file')), file),
      agencyBox,
      h('button', { type: 'submit', class: 'primary', id: 'preview-button' }, t('import.preview')),
    ),
    message,
    result,
  )

  api
    .get('/api/agencies')
    .then((agencies) => {
      agency = selectField(t('import.agency'), 'agency', [
        { value: '', label: t('import.agencyAuto') },
        ...agencies.filter((a) => a.active).map((a) => ({ value: a.code, label: `${a.name} (${a.code})` })),
      ])
      replace(agencyBox, agency.field)
    })
    .catch((error) => replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error))))

  function options() {
    return agency.input.value ? { agency_code: agency.input.value } : {}
  }

  async function preview() {
    replace(message)
    replace(result)
    if (!file.files[0]) return
    try {
      const body = await api.upload('/api/imports/preview', file.files[0], options())
      showPreview(body)
    } catch (error) {
      replace(message, h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  function showPreview(p) {
    const skip = h('input', { type: 'checkbox', id: 'skip-bad' })
    const good = p.rows_ok
    const canImport = !p.file_error && good > 0
    const button = h(
      'button',
      {
        type: 'button',
        class: 'primary',
        id: 'import-button',
        disabled: !canImport || p.errors.length > 0,
        onclick: () => confirm(p, skip.checked),
      },
      t('import.confirm', { n: good }),
    )
    skip.addEventListener('change', () => {
      button.disabled = !canImport || (p.errors.length > 0 && !skip.checked)
    })
    replace(
      result,
      h('h2', {}, t('import.previewTitle', { file: p.file })),
      h(
        'p',
        { id: 'import-summary' },
        t('import.summary', { total: p.rows_total, good, bad: p.bad_lines.length }),
        p.description ? h('span', { class: 'muted' }, ` — ${p.description}`) : null,
      ),
      inLang(p.warnings, p.warnings_vi).map((w) => h('p', { class: 'warn' }, w)),
      p.ignored_columns.length
        ? h('p', { class: 'muted small' }, t('import.ignored', { columns: p.ignored_columns.join(', ') }))
        : null,
      p.errors.length ? errorTable(p.errors) : h('p', { class: 'ok' }, t('import.allGood')),
      p.errors.length && canImport
        ? h(
            'div',
            { class: 'field check' },
            skip,
            h('label', { for: 'skip-bad' }, t('import.skipBad', { lines: p.bad_lines.join(', ') })),
          )
        : null,
      canImport ? h('div', { class: 'actions' }, button) : h('p', { class: 'error' }, t('import.nothing')),
      good ? rowsTable(p.rows) : null,
    )
    announce(t('import.summary', { total: p.rows_total, good, bad: p.bad_lines.length }))
  }

  async function confirm(p, skipBad) {
    try {
      const answer = await api.upload('/api/imports', file.files[0], {
        ...options(),
        sha256: p.sha256,
        skip_bad: skipBad,
      })
      showDone(isJob(answer) ? await follow(answer) : answer)
    } catch (error) {
      replace(message, h('p', { class: 'error', role: 'alert' }, importProblemText(error)))
    }
  }

  /** A large file is imported by a background job (202): show its progress until it ends, no request timeout. */
  async function follow(job) {
    replace(result)
    const bar = h('progress', { id: 'import-progress', max: Math.max(job.rows_total, 1), value: 0 })
    const text = h('span', { id: 'import-progress-text' })
    replace(message, h('div', { class: 'card', role: 'status', id: 'import-job' }, bar, ' ', text))
    announce(t('import.queued', { total: number(job.rows_total) }))
    const done = await followJob(job, (now) => {
      bar.max = Math.max(now.rows_total, 1)
      bar.value = now.rows_checked
      text.textContent = progressText(now)
    })
    return done.result
  }

  function showDone(done) {
    replace(result)
    replace(
      message,
      h(
        'p',
        { class: 'ok', role: 'status', id: 'import-done' },
        t('import.done', { n: done.imported, ret: done.to_return, col: done.to_collect }),
        done.skipped_lines.length ? ` ${t('import.skipped', { lines: done.skipped_lines.join(', ') })}` : '',
        ' ',
        h('a', { href: '#/planning' }, t('import.toPlanning')),
      ),
    )
    announce(t('import.done', { n: done.imported, ret: done.to_return, col: done.to_collect }))
  }
}

function isJob(answer) {
  return typeof answer.status === 'string' && answer.kind === 'import-items'
}

function progressText(job) {
  const total = number(job.rows_total)
  const retried =
    job.attempts > 1 && job.status !== 'succeeded' ? ` ${t('import.retried', { n: job.attempts })}` : ''
  if (job.status === 'queued') return t('import.queued', { total }) + retried
  if (job.phase === 'importing') return t('import.importing', { total }) + retried
  return t('import.checking', { n: number(job.rows_checked), total }) + retried
}

/** The server's text in the page's language: Vietnamese when it sent one, else the English. */
function inLang(english, vietnamese) {
  return lang() === 'vi' && vietnamese != null ? vietnamese : english
}

/** A refused import: in Vietnamese, our sentence and each line's problem in Vietnamese (errors.lines_vi). */
function importProblemText(error) {
  const lines = error.problem?.errors?.lines_vi
  if (lang() !== 'vi' || !lines) return problemText(error)
  const known = t(`problem.${error.kind}`)
  const detail = Object.values(lines).flat().join(' ')
  return known === `problem.${error.kind}` ? detail : `${known} ${detail}`
}

function errorTable(errors) {
  return h(
    'table',
    { class: 'grid errors', id: 'import-errors' },
    h('caption', {}, t('import.errors', { n: errors.length })),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['import.line', 'import.column', 'import.problem'].map((k) => h('th', { scope: 'col' }, t(k))),
      ),
    ),
    h(
      'tbody',
      {},
      errors.map((e) =>
        h(
          'tr',
          { 'data-line': e.line ?? 'file' },
          h('td', {}, e.line ?? t('import.wholeFile')),
          h('td', {}, e.column || '—'),
          h('td', {}, inLang(e.message, e.message_vi)),
        ),
      ),
    ),
  )
}

function rowsTable(rows) {
  return h(
    'table',
    { class: 'grid', id: 'import-rows' },
    h('caption', {}, t('import.rows', { n: rows.length })),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [
          'import.line',
          'plan.code',
          'plan.recipient',
          'import.address',
          'import.direction',
          'plan.due',
          'import.fees',
        ].map((k) => h('th', { scope: 'col' }, t(k))),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          h('td', {}, r.line),
          h('td', { class: 'code' }, r.code),
          h('td', {}, r.recipient_name),
          h('td', {}, `${r.address_line}, ${r.commune}`),
          h('td', {}, t(`direction.${r.direction}`)),
          h('td', {}, day(r.due_date)),
          h('td', { class: 'num' }, `${money(r.service_fee)} / ${money(r.government_fee)}`),
        ),
      ),
    ),
  )
}
