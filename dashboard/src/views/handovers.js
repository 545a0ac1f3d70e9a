// Handover records between an agency and the post office: record one, list them, print the PDF.
// A supervisor types a paper record, or signs on screen for the agency officer to countersign; an
// agency officer (the portal) lists the results they hand to the post (ticked or scanned), signs,
// and a supervisor countersigns. The second signature's server time is the record's legal time.
import * as api from '../lib/api.js'
import * as session from '../lib/session.js'
import { announce, h, replace } from '@common/dom.js'
import { selectField, signatureField } from '../lib/fields.js'
import { fileLink, openFile } from '../lib/download.js'
import { dateTime, money, number } from '@common/format.js'
import { label, lang, t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'
import { proofFiles } from './proof.js'

export function renderHandovers(main, { params }) {
  const message = h('div', { class: 'messages', id: 'handover-messages' })
  const form = h('section', { 'class': 'card', 'aria-labelledby': 'new-handover-title' })
  const list = h('section', { 'aria-labelledby': 'handover-list-title' })
  const state = {
    agencies: [],
    postmen: [],
    candidates: [],
    picked: new Map(),
    officer: session.user()?.role === 'agency',
    direction: params.get('direction') || 'agency_to_post',
    agency: params.get('agency') || '',
    preselect: Number(params.get('item')) || null,
  }

  replace(main, h('div', { class: 'page-head' }, h('h1', {}, t('handover.title'))), message, form, list)

  function say(node) {
    replace(message, node)
  }

  async function start() {
    if (state.officer) {
      // The officer's own agency, results handed to the post: the server decides both.
      state.direction = 'agency_to_post'
      state.agency = 'own'
      drawForm()
      loadCandidates()
      loadList()
      return
    }
    try {
      ;[state.agencies, state.postmen] = await Promise.all([
        api.get('/api/agencies'),
        api.get('/api/users', { role: 'postman' }),
      ])
    } catch (error) {
      say(h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
    drawForm()
    if (state.agency) loadCandidates()
    loadList()
  }

  function sign(t0) {
    return signatureField(t0, 'signature', { hint: t('handover.signHint'), clear: t('handover.signClear') })
  }

  function drawOfficerForm() {
    const candidates = h('div', { id: 'handover-candidates' })
    const scan = h('input', {
      'id': 'handover-scan',
      'autocomplete': 'off',
      'aria-describedby': 'handover-scan-hint',
    })
    const ready = h('input', { id: 'handover-ready', type: 'date' })
    const signature = sign(t('handover.officerSigns'))
    replace(
      form,
      h('h2', { id: 'new-handover-title' }, t('handover.newOfficer')),
      h(
        'form',
        {
          onsubmit: (event) => {
            event.preventDefault()
            if (event.submitter?.id === 'handover-scan-add' || document.activeElement === scan) {
              pickByCode(scan)
              return
            }
            submit('', '', ready.value, '', '', signature.pad)
          },
        },
        h(
          'div',
          { class: 'inline-form' },
          h('div', { class: 'field' }, h('label', { for: 'handover-scan' }, t('handover.scan')), scan),
          h('button', { type: 'submit', id: 'handover-scan-add' }, t('handover.scanAdd')),
        ),
        h('p', { class: 'small muted', id: 'handover-scan-hint' }, t('handover.scanHint')),
        candidates,
        h('div', { class: 'field' }, h('label', { for: 'handover-ready' }, t('handover.ready')), ready),
        signature.field,
        h('button', { type: 'submit', class: 'primary', id: 'handover-submit' }, t('handover.submitSigned')),
      ),
    )
    drawCandidates()
  }

  /** A scanned or typed item code (or dossier code) ticks its line. */
  function pickByCode(input) {
    const code = input.value.trim().toUpperCase()
    input.value = ''
    const found = state.candidates.find(
      (c) => c.code === code || (c.dossier_code || '').toUpperCase() === code,
    )
    if (!found) {
      say(h('p', { class: 'error', role: 'alert' }, t('handover.scanUnknown', { code })))
      return
    }
    state.picked.set(found.item_id, found)
    drawCandidates()
    announce(t('handover.scanPicked', { code: found.code }))
    input.focus()
  }

  function drawForm() {
    if (state.officer) return drawOfficerForm()
    const direction = selectField(
      t('handover.direction'),
      'direction',
      ['agency_to_post', 'post_to_agency'].map((d) => ({ value: d, label: label('handoverDirection', d) })),
      {
        value: state.direction,
        onchange: (e) => {
          state.direction = e.target.value
          loadCandidates()
        },
      },
    )
    const agency = selectField(
      t('handover.agency'),
      'agency',
      [
        { value: '', label: t('handover.chooseAgency') },
        ...state.agencies.map((a) => ({ value: a.id, label: a.name })),
      ],
      {
        value: state.agency,
        onchange: (e) => {
          state.agency = e.target.value
          loadCandidates()
        },
      },
    )
    const officer = h('input', { id: 'handover-officer', required: true, maxlength: 200 })
    const postman = selectField(t('handover.postman'), 'postman', [
      { value: '', label: '—' },
      ...state.postmen.filter((p) => p.active).map((p) => ({ value: p.id, label: p.full_name })),
    ])
    const ready = h('input', { id: 'handover-ready', type: 'date' })
    const note = h('input', { id: 'handover-note', maxlength: 1000 })
    const seal = h('input', { id: 'handover-seal', maxlength: 64, autocomplete: 'off' })
    const candidates = h('div', { id: 'handover-candidates' })
    const signature = sign(t('handover.postSigns'))
    replace(
      form,
      h('h2', { id: 'new-handover-title' }, t('handover.new')),
      h(
        'form',
        {
          onsubmit: (event) => {
            event.preventDefault()
            submit(officer.value, postman.input.value, ready.value, note.value, seal.value, signature.pad)
          },
        },
        h('div', { class: 'inline-form' }, direction.field, agency.field),
        candidates,
        h(
          'div',
          { class: 'inline-form' },
          h(
            'div',
            { class: 'field' },
            h('label', { for: 'handover-officer' }, t('handover.officer')),
            officer,
          ),
          postman.field,
          h('div', { class: 'field' }, h('label', { for: 'handover-ready' }, t('handover.ready')), ready),
          h('div', { class: 'field' }, h('label', { for: 'handover-seal' }, t('handover.seal')), seal),
          h('div', { class: 'field' }, h('label', { for: 'handover-note' }, t('handover.note')), note),
        ),
        h('details', {}, h('summary', {}, t('handover.signOnScreen')), signature.field),
        h('button', { type: 'submit', class: 'primary', id: 'handover-submit' }, t('handover.submit')),
      ),
    )
    drawCandidates()
  }

  async function loadCandidates() {
    state.picked.clear()
    state.candidates = []
    if (state.agency) {
      try {
        state.candidates = await api.get('/api/handovers/candidates', {
          direction: state.direction,
          agency_id: state.officer ? undefined : state.agency,
        })
        for (const c of state.candidates)
          if (c.item_id === state.preselect) state.picked.set(c.item_id, { ...c })
      } catch (error) {
        say(h('p', { class: 'error', role: 'alert' }, problemText(error)))
      }
    }
    drawCandidates()
  }

  function drawCandidates() {
    const box = form.querySelector('#handover-candidates')
    if (!box) return
    if (!state.agency) {
      replace(box, h('p', { class: 'muted' }, t('handover.pickAgency')))
      return
    }
    if (!state.candidates.length) {
      replace(box, h('p', { class: 'empty' }, t('handover.noCandidates')))
      return
    }
    const numberInput = (c, key, labelKey) =>
      h('input', {
        'type': 'number',
        'min': 0,
        'step': key === 'fee_passed_on' ? 1000 : 1,
        'value': c[key],
        'class': 'small-input',
        'aria-label': t(labelKey, { code: c.code }),
        'onchange': (e) => {
          const line = state.picked.get(c.item_id)
          if (line) line[key] = Number(e.target.value) || 0
          c[key] = Number(e.target.value) || 0
        },
      })
    replace(
      box,
      h(
        'table',
        { class: 'grid' },
        h('caption', {}, t('handover.candidates', { n: state.candidates.length })),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'handover.pick',
              'plan.code',
              'handover.dossier',
              'plan.recipient',
              'plan.status',
              'handover.originals',
              'handover.copies',
              'handover.fee',
            ].map((k) => h('th', { scope: 'col' }, t(k))),
          ),
        ),
        h(
          'tbody',
          {},
          state.candidates.map((c) =>
            h(
              'tr',
              { 'data-item-id': c.item_id },
              h(
                'td',
                {},
                h('input', {
                  'type': 'checkbox',
                  'checked': state.picked.has(c.item_id),
                  'data-code': c.code,
                  'aria-label': t('plan.select', { code: c.code }),
                  'onchange': (e) => {
                    if (e.target.checked) state.picked.set(c.item_id, c)
                    else state.picked.delete(c.item_id)
                  },
                }),
              ),
              h('td', { class: 'code' }, c.code),
              h('td', {}, c.dossier_code || '—'),
              h('td', {}, c.recipient_name),
              h(
                'td',
                {},
                label('status', c.status),
                c.event ? '' : h('div', { class: 'small muted' }, t('handover.documentOnly')),
              ),
              h('td', {}, numberInput(c, 'originals', 'handover.originalsOf')),
              h('td', {}, numberInput(c, 'copies', 'handover.copiesOf')),
              h('td', {}, numberInput(c, 'fee_passed_on', 'handover.feeOf')),
            ),
          ),
        ),
      ),
    )
  }

  async function submit(officer, postmanId, ready, note, seal, pad) {
    if (!state.picked.size) {
      say(h('p', { class: 'error', role: 'alert' }, t('handover.pickItems')))
      return
    }
    // Money moves: the record names the postman it comes from (the server refuses it otherwise).
    if (!postmanId && [...state.picked.values()].some((c) => c.fee_passed_on > 0)) {
      say(h('p', { class: 'error', role: 'alert' }, t('handover.feesNeedPostman')))
      document.querySelector('select[name=postman]')?.focus()
      return
    }
    if (state.officer && pad.isEmpty()) {
      say(h('p', { class: 'error', role: 'alert' }, t('handover.signFirst')))
      return
    }
    // One record per press: a second press while the first is on its way does nothing, and the
    // previous press's refusal is not left on screen as if it were this one's answer.
    if (state.sending) return
    state.sending = true
    say(h('p', { class: 'muted', role: 'status', id: 'handover-sending' }, t('handover.sending')))
    const body = {
      direction: state.direction,
      ...(state.officer ? {} : { agency_id: Number(state.agency), officer_name: officer.trim() }),
      ...(postmanId ? { postman_id: Number(postmanId) } : {}),
      result_ready_date: ready || null,
      note: note.trim() || null,
      seal_number: seal.trim() || null,
      ...(pad.isEmpty() ? {} : { signature: pad.dataUrl() }),
      lines: [...state.picked.values()].map((c) => ({
        item_id: c.item_id,
        originals: c.originals,
        copies: c.copies,
        fee_passed_on: c.fee_passed_on,
      })),
    }
    try {
      const created = await api.post('/api/handovers', body)
      const { link } = await fileLink(
        `/api/handovers/${created.id}/pdf`,
        {},
        t('handover.download'),
        `${created.number}.pdf`,
      )
      link.id = 'handover-pdf-link'
      say(
        h(
          'p',
          { class: 'ok', role: 'status', id: 'handover-done' },
          t('handover.done', { number: created.number, n: created.totals.items }),
          created.status === 'signed' ? '' : ` ${t(`handover.awaits.${created.status}`)}`,
          ' ',
          link,
        ),
      )
      announce(t('handover.done', { number: created.number, n: created.totals.items }))
      state.preselect = null
      pad.clear()
      loadCandidates()
      loadList()
    } catch (error) {
      say(
        h(
          'div',
          { class: 'error', role: 'alert' },
          h('p', {}, problemText(error)),
          // The field messages are the server's English: in English only (Vietnamese names the fields).
          lang() === 'en' && error.messages.length
            ? h(
                'ul',
                {},
                error.messages.map((m) => h('li', {}, m)),
              )
            : null,
        ),
      )
    } finally {
      state.sending = false
    }
  }

  // Object URLs of the evidence shown, freed when the list is drawn again.
  const urls = []
  const officerFile = (kind) => (kind === 'signature' ? t('handover.officerSignature') : label('file', kind))

  /** A record's flag and files: a button opens the files (signature, photos) in a row below. */
  function evidence(r) {
    const flag = r.flag_reason
      ? h('div', { class: 'error small', role: 'note' }, t(`handover.flag.${r.flag_reason}`))
      : null
    if (!r.attachments.length) return [flag, '—']
    const button = h(
      'button',
      {
        'type': 'button',
        'data-action': 'handover-files',
        'aria-expanded': 'false',
        'onclick': (event) => {
          const row = event.target.closest('tr')
          const open = row.nextElementSibling?.classList.contains('handover-files')
          if (open) row.nextElementSibling.remove()
          else {
            const files = proofFiles({ attachments: r.attachments, item_code: r.number }, urls, officerFile)
            const cell = h('td', { colspan: row.children.length }, files)
            row.after(h('tr', { 'class': 'handover-files', 'data-files-of': r.id }, cell))
          }
          button.setAttribute('aria-expanded', String(!open))
        },
      },
      t('handover.files', { n: r.attachments.length }),
    )
    return [flag, button]
  }

  async function loadList() {
    urls.splice(0).forEach((url) => URL.revokeObjectURL(url))
    try {
      const records = await api.get('/api/handovers', { per_page: 50 })
      replace(
        list,
        h('h2', { id: 'handover-list-title' }, t('handover.list')),
        records.length
          ? h(
              'table',
              { class: 'grid', id: 'handover-list' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  [
                    'handover.number',
                    'handover.made',
                    'handover.direction',
                    'handover.agency',
                    'handover.officer',
                    'handover.items',
                    'handover.fee',
                    'handover.seal',
                    'handover.evidence',
                    'handover.source',
                    'handover.state',
                    'handover.print',
                  ].map((k) => h('th', { scope: 'col' }, t(k))),
                ),
              ),
              h(
                'tbody',
                {},
                records.map((r) =>
                  h(
                    'tr',
                    { 'data-handover-id': r.id },
                    h('td', {}, r.number),
                    h('td', {}, dateTime(r.created_at)),
                    h('td', {}, label('handoverDirection', r.direction)),
                    h('td', {}, r.agency.name),
                    h('td', {}, r.officer_name || '—'),
                    h(
                      'td',
                      { class: 'num' },
                      `${number(r.totals.items)} (${r.lines.map((l) => l.code).join(', ')})`,
                    ),
                    h('td', { class: 'num' }, money(r.totals.fee_passed_on)),
                    h('td', { 'data-field': 'seal' }, r.seal_number || '—'),
                    h('td', { 'data-field': 'evidence' }, evidence(r)),
                    h('td', {}, label('source', r.source)),
                    h('td', { class: 'handover-state' }, stateOf(r)),
                    h(
                      'td',
                      {},
                      h(
                        'button',
                        {
                          type: 'button',
                          onclick: () =>
                            openFile(`/api/handovers/${r.id}/pdf`).catch((e) =>
                              say(h('p', { class: 'error', role: 'alert' }, problemText(e))),
                            ),
                        },
                        'PDF',
                      ),
                    ),
                  ),
                ),
              ),
            )
          : h('p', { class: 'empty' }, t('handover.none')),
      )
    } catch (error) {
      say(h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  /** Signed (when, by both sides), or awaiting a side: the caller's side gets a button to sign. */
  function stateOf(r) {
    if (r.status === 'signed')
      return r.signed_at ? t('handover.signedAt', { when: dateTime(r.signed_at) }) : t('handover.onPaper')
    if (r.status === 'withdrawn') return h('span', { 'data-withdrawn': r.id }, t('handover.withdrawn'))
    const mine = (r.status === 'awaiting_agency') === state.officer
    return [
      t(`handover.awaits.${r.status}`),
      mine
        ? h(
            'button',
            { 'type': 'button', 'class': 'primary', 'data-sign': r.id, 'onclick': () => openSigning(r) },
            t('handover.countersign'),
          )
        : h(
            // The side that drew it up may take it back until the other side signs.
            'button',
            { 'type': 'button', 'data-withdraw': r.id, 'onclick': () => withdraw(r) },
            t('handover.withdraw'),
          ),
    ]
  }

  async function withdraw(r) {
    // The reason (optional) goes to the audit log with the withdrawal; cancelling the prompt keeps the record.
    const reason = window.prompt(t('handover.withdrawConfirm', { number: r.number }), '')
    if (reason === null) return
    try {
      const body = reason.trim() ? { reason: reason.trim().slice(0, 500) } : {}
      const done = await api.post(`/api/handovers/${r.id}/withdraw`, body)
      const text = t('handover.withdrawnDone', { number: done.number })
      say(h('p', { class: 'ok', role: 'status', id: 'handover-withdrawn' }, text))
      announce(text)
      loadList()
    } catch (error) {
      say(h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  function openSigning(r) {
    const name = h('input', { id: 'handover-signer', required: true, maxlength: 200 })
    if (state.officer) name.value = session.user()?.full_name || ''
    const signature = sign(t(state.officer ? 'handover.officerSigns' : 'handover.postSigns'))
    const panel = h(
      'section',
      { 'class': 'card', 'id': 'handover-signing', 'aria-labelledby': 'handover-signing-title' },
      h('h2', { id: 'handover-signing-title' }, t('handover.countersignTitle', { number: r.number })),
      h(
        'ul',
        {},
        r.lines.map((l) => h('li', {}, `${l.code} · ${l.recipient_name} · ${l.originals}/${l.copies}`)),
      ),
      h(
        'form',
        {
          onsubmit: async (event) => {
            event.preventDefault()
            if (signature.pad.isEmpty()) {
              say(h('p', { class: 'error', role: 'alert' }, t('handover.signFirst')))
              return
            }
            try {
              const signed = await api.post(`/api/handovers/${r.id}/sign`, {
                signer_name: name.value.trim(),
                signature: signature.pad.dataUrl(),
              })
              panel.remove()
              const text = t('handover.signedDone', {
                number: signed.number,
                when: dateTime(signed.signed_at),
              })
              const { link } = await fileLink(
                `/api/handovers/${signed.id}/pdf`,
                {},
                t('handover.download'),
                `${signed.number}.pdf`,
              )
              link.id = 'handover-signed-pdf'
              say(h('p', { class: 'ok', role: 'status', id: 'handover-signed' }, text, ' ', link))
              announce(text)
              loadList()
            } catch (error) {
              say(h('p', { class: 'error', role: 'alert' }, problemText(error)))
            }
          },
        },
        h('div', { class: 'field' }, h('label', { for: 'handover-signer' }, t('handover.signer')), name),
        signature.field,
        h(
          'button',
          { type: 'submit', class: 'primary', id: 'handover-sign-submit' },
          t('handover.countersign'),
        ),
      ),
    )
    main.querySelector('#handover-signing')?.remove()
    list.before(panel)
    name.focus()
  }

  start()
  return null
}
