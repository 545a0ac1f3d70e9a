// Planning: create rounds, assign and reassign items by selection or by drag, optimise the stop order.
// Every change is one API call that the server applies whole or refuses whole.
import * as api from '../lib/api.js'
import { announce, h, replace } from '@common/dom.js'
import { selectField } from '../lib/fields.js'
import { day as showDay, localToday, metres } from '@common/format.js'
import { label, lang, t } from '../lib/i18n.js'
import { openFile } from '../lib/download.js'
import { problemText } from '../lib/problems.js'

const WAITING = ['at_post_office', 'registered', 'failed_attempt']
const FINAL = ['delivered', 'handed_to_agency', 'returned_to_agency', 'cancelled', 'collected']

export function renderPlanning(main, { params }) {
  const state = {
    day: params.get('date') || localToday(),
    rounds: [],
    details: new Map(),
    pool: [],
    postmen: [],
    selected: new Set(params.get('item') ? [Number(params.get('item'))] : []),
  }
  const message = h('div', { class: 'messages', id: 'planning-messages' })
  const createBox = h('section', { 'class': 'card', 'aria-labelledby': 'create-title' })
  const toolbar = h('div', { 'class': 'toolbar', 'role': 'toolbar', 'aria-label': t('plan.toolbar') })
  const poolBox = h('section', { 'class': 'pool', 'aria-labelledby': 'pool-title' })
  const roundsBox = h('section', { 'class': 'rounds', 'aria-labelledby': 'rounds-plan-title' })
  const dayInput = h('input', {
    type: 'date',
    id: 'plan-date',
    value: state.day,
    onchange: () => {
      state.day = dayInput.value || localToday()
      load()
    },
  })

  replace(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('plan.title')),
      h('div', { class: 'field inline' }, h('label', { for: 'plan-date' }, t('common.date')), dayInput),
    ),
    message,
    createBox,
    toolbar,
    h('div', { class: 'columns' }, poolBox, roundsBox),
  )

  function say(text, kind = 'ok') {
    replace(
      message,
      h('p', { class: kind === 'ok' ? 'ok' : 'error', role: kind === 'ok' ? 'status' : 'alert' }, text),
    )
    if (kind === 'ok') announce(text)
  }

  // Do one change, reload, then say how it went: once the message shows, the page is settled.
  async function act(work, success) {
    let outcome
    try {
      await work()
      state.selected.clear()
      outcome = [success, 'ok']
    } catch (error) {
      outcome = [problemText(error), 'error']
    }
    await load()
    say(...outcome)
  }

  async function load() {
    try {
      const [rounds, pool, postmen] = await Promise.all([
        api.get('/api/rounds', { date: state.day, per_page: 200 }),
        api.get('/api/items', { status: WAITING, per_page: 500 }),
        api.get('/api/users', { role: 'postman' }),
      ])
      state.rounds = rounds
      state.pool = pool.filter((i) => !(i.direction === 'return' && i.status === 'registered'))
      state.postmen = postmen
      const details = await Promise.all(rounds.map((r) => api.get(`/api/rounds/${r.id}`)))
      state.details = new Map(details.map((d) => [d.id, d]))
    } catch (error) {
      say(problemText(error), 'error')
    }
    draw()
  }

  function draw() {
    drawCreate()
    drawToolbar()
    drawPool()
    drawRounds()
    const focus = params.get('item') && main.querySelector(`[data-item-id="${params.get('item')}"]`)
    if (focus) focus.scrollIntoView({ block: 'center' })
  }

  function drawCreate() {
    const taken = new Set(state.rounds.map((r) => r.postman_id))
    const postman = selectField(
      t('plan.postman'),
      'postman',
      [
        { value: '', label: t('plan.choosePostman') },
        ...state.postmen.map((p) => ({
          value: p.id,
          label: `${p.full_name}${p.active ? '' : ` (${t('plan.off')})`}${taken.has(p.id) ? ` — ${t('plan.hasRound')}` : ''}`,
        })),
      ],
      { required: true },
    )
    const note = h('input', { id: 'round-note', name: 'note', maxlength: 500 })
    replace(
      createBox,
      h('h2', { id: 'create-title' }, t('plan.create', { date: showDay(state.day) })),
      h(
        'form',
        {
          class: 'inline-form',
          onsubmit: (event) => {
            event.preventDefault()
            act(
              () =>
                api.post('/api/rounds', {
                  postman_id: Number(postman.input.value),
                  round_date: state.day,
                  note: note.value.trim() || null,
                }),
              t('plan.created'),
            )
          },
        },
        postman.field,
        h('div', { class: 'field' }, h('label', { for: 'round-note' }, t('plan.note')), note),
        h('button', { type: 'submit', class: 'primary' }, t('plan.createButton')),
      ),
    )
  }

  function drawToolbar() {
    const target = selectField(t('plan.target'), 'target', [
      { value: '', label: t('plan.chooseRound') },
      ...state.rounds.map((r) => ({ value: r.id, label: `#${r.id} ${r.postman.full_name}` })),
    ])
    const onRounds = [...state.selected].filter((id) => roundOf(id))
    replace(
      toolbar,
      h('span', { class: 'count', id: 'selected-count' }, t('plan.selected', { n: state.selected.size })),
      target.field,
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          id: 'assign-button',
          disabled: !state.selected.size || !state.rounds.length,
          onclick: () => {
            const roundId = Number(target.input.value)
            if (!roundId) {
              say(t('plan.pickRound'), 'error')
              target.input.focus()
              return
            }
            assign(roundId, [...state.selected])
          },
        },
        t('plan.assign'),
      ),
      h(
        'button',
        { type: 'button', disabled: !onRounds.length, onclick: () => unassign(onRounds) },
        t('plan.unassign'),
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'print-selected-labels',
          disabled: !state.selected.size,
          onclick: () => print('/api/items/labels.pdf', { item_ids: [...state.selected] }),
        },
        t('plan.printLabels'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          disabled: !state.selected.size,
          onclick: () => {
            state.selected.clear()
            draw()
          },
        },
        t('plan.clear'),
      ),
    )
  }

  function roundOf(itemId) {
    for (const [roundId, detail] of state.details)
      if (detail.stops.some((s) => s.id === itemId)) return roundId
    return null
  }

  function assign(roundId, ids) {
    act(
      () => api.post(`/api/rounds/${roundId}/assign`, { item_ids: ids }),
      t('plan.assigned', { n: ids.length, id: roundId }),
    )
  }

  function unassign(ids) {
    const byRound = new Map()
    ids.forEach((id) => {
      const r = roundOf(id)
      byRound.set(r, [...(byRound.get(r) || []), id])
    })
    act(
      async () => {
        for (const [roundId, list] of byRound)
          await api.post(`/api/rounds/${roundId}/unassign`, { item_ids: list })
      },
      t('plan.unassigned', { n: ids.length }),
    )
  }

  /** Open a printable PDF in the reader's language; a refusal is said on the page. */
  function print(path, body) {
    openFile(path, { lang: lang() }, body).catch((error) => say(problemText(error), 'error'))
  }

  function checkbox(item, disabled) {
    return h('input', {
      'type': 'checkbox',
      'aria-label': t('plan.select', { code: item.code }),
      'checked': state.selected.has(item.id),
      disabled,
      'onchange': (event) => {
        if (event.target.checked) state.selected.add(item.id)
        else state.selected.delete(item.id)
        drawToolbar()
      },
    })
  }

  function draggable(row, item) {
    row.draggable = true
    row.addEventListener('dragstart', (event) => {
      const ids = state.selected.has(item.id) ? [...state.selected] : [item.id]
      event.dataTransfer.setData('application/x-postround-items', JSON.stringify(ids))
      event.dataTransfer.setData('text/plain', ids.join(','))
      event.dataTransfer.effectAllowed = 'move'
    })
  }

  function drawPool() {
    const rows = state.pool.map((item) => {
      const row = h(
        'tr',
        { 'data-item-id': item.id, 'class': state.selected.has(item.id) ? 'selected' : '' },
        h('td', {}, checkbox(item, false)),
        h('td', { class: 'code' }, item.code),
        h(
          'td',
          {},
          item.recipient_name,
          h('div', { class: 'small muted' }, `${item.address_line}, ${item.commune}`),
        ),
        h(
          'td',
          {},
          label('status', item.status),
          item.attempt_count
            ? h('div', { class: 'small muted' }, t('plan.attempts', { n: item.attempt_count }))
            : null,
        ),
        h('td', {}, showDay(item.due_date)),
        h('td', { class: 'small' }, item.round_id ? `#${item.round_id}` : '—'),
      )
      draggable(row, item)
      return row
    })
    replace(
      poolBox,
      h('h2', { id: 'pool-title' }, t('plan.pool', { n: state.pool.length })),
      h('p', { class: 'muted small' }, t('plan.poolHint')),
      state.pool.length
        ? h(
            'table',
            { class: 'grid', id: 'pool-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['', 'plan.code', 'plan.recipient', 'plan.status', 'plan.due', 'plan.round'].map((k) =>
                  h(
                    'th',
                    { scope: 'col' },
                    k ? t(k) : h('span', { class: 'visually-hidden' }, t('plan.choose')),
                  ),
                ),
              ),
            ),
            h('tbody', {}, rows),
          )
        : h('p', { class: 'empty' }, t('plan.poolEmpty')),
    )
  }

  function drawRounds() {
    replace(
      roundsBox,
      h('h2', { id: 'rounds-plan-title' }, t('plan.rounds', { date: showDay(state.day) })),
      state.rounds.length
        ? state.rounds.map((r) => roundCard(state.details.get(r.id) || r))
        : h('p', { class: 'empty' }, t('today.noRounds')),
    )
  }

  function roundCard(r) {
    const card = h(
      'article',
      { 'class': 'round-card', 'data-round-id': r.id, 'aria-labelledby': `round-${r.id}-title` },
      h(
        'header',
        {},
        h('h3', { id: `round-${r.id}-title` }, `#${r.id} ${r.postman.full_name}`),
        h(
          'span',
          { class: 'muted small' },
          `${t('plan.stops', { n: r.stop_count })} · ${r.total_distance_m ? metres(r.total_distance_m) : t('plan.noDistance')}`,
        ),
        h(
          'button',
          {
            type: 'button',
            disabled: !r.stop_count,
            onclick: () =>
              act(() => api.post(`/api/rounds/${r.id}/optimise`), t('plan.optimised', { id: r.id })),
          },
          t('plan.optimise'),
        ),
        h(
          'button',
          {
            'type': 'button',
            'class': 'print-run-sheet',
            'disabled': !r.stop_count,
            'aria-label': t('plan.printRunSheetOf', { id: r.id }),
            'onclick': () => print(`/api/rounds/${r.id}/run-sheet.pdf`),
          },
          t('plan.printRunSheet'),
        ),
        h(
          'button',
          {
            'type': 'button',
            'class': 'print-labels',
            'disabled': !r.stop_count,
            'aria-label': t('plan.printLabelsOf', { id: r.id }),
            'onclick': () => print(`/api/rounds/${r.id}/labels.pdf`),
          },
          t('plan.printLabels'),
        ),
      ),
      h(
        'ol',
        { class: 'stops' },
        (r.stops || []).map((s) => {
          const final = FINAL.includes(s.status)
          const row = h(
            'li',
            { 'data-item-id': s.id, 'class': final ? 'final' : '' },
            checkbox(s, final),
            ' ',
            h('span', { class: 'code' }, s.code),
            ` ${s.recipient_name} — ${s.commune} `,
            h('span', { class: `status status-${s.status}` }, label('status', s.status)),
            s.leg_distance_m !== null && s.leg_distance_m !== undefined
              ? h('span', { class: 'small muted' }, ` +${metres(s.leg_distance_m)}`)
              : null,
          )
          if (!final) draggable(row, s)
          return row
        }),
      ),
      h('p', { class: 'drop-hint small muted' }, t('plan.dropHere')),
    )
    card.addEventListener('dragover', (event) => {
      event.preventDefault()
      card.classList.add('drop')
    })
    card.addEventListener('dragleave', () => card.classList.remove('drop'))
    card.addEventListener('drop', (event) => {
      event.preventDefault()
      card.classList.remove('drop')
      const ids = JSON.parse(event.dataTransfer.getData('application/x-postround-items') || '[]')
      if (ids.length) assign(r.id, ids)
    })
    return card
  }

  load()
  return null
}
