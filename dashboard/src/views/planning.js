// Planning: create rounds; find items in the backlog (filtered, sorted, paged: nothing is cut
// silently); select some or "all matching"; assign, reschedule, cancel or print them in one call that
// the server applies whole or refuses whole; reorder a round's stops by hand or optimise them.
//
// Two supervisors may plan the same day: every change to a round carries the version this page
// showed (If-Match). A change made on a stale copy is refused (412): the page says who changed what,
// reloads, keeps the selection and offers to do the same change again on the fresh version. The page
// re-reads itself every few seconds like "Today" and redraws only what changed (the focus stays).
import * as api from '../lib/api.js'
import { announce, h, replace } from '@common/dom.js'
import { citizenAnswer } from '@common/citizen.js'
import { selectField } from '../lib/fields.js'
import { day as showDay, localToday, metres, number } from '@common/format.js'
import { label, lang, t } from '../lib/i18n.js'
import { print as printFile, roundPrintButtons } from '../lib/printing.js'
import { problemText } from '../lib/problems.js'
import { changed } from '../lib/memo.js'
import { poll } from '../lib/poller.js'
import { planningMap } from './planning-map.js'

const FINAL = ['delivered', 'handed_to_agency', 'returned_to_agency', 'cancelled', 'collected']
const WAITING = ['at_post_office', 'registered', 'failed_attempt']
const SORTS = ['due_date', '-due_date', 'code', 'commune', 'recipient_name', '-created_at']
const PER_PAGE = 50
const FILTERS = ['commune', 'agency_id', 'procedure_id', 'due_from', 'due_to', 'status', 'direction']

export function renderPlanning(main, { config, params }) {
  const state = {
    day: params.get('date') || localToday(),
    rounds: [],
    details: new Map(),
    postmen: [],
    agencies: [],
    procedures: [],
    filter: Object.fromEntries(FILTERS.map((k) => [k, ''])),
    sort: 'due_date',
    page: 1,
    pool: [],
    total: 0,
    selected: new Set(params.get('item') ? [Number(params.get('item'))] : []),
    allMatching: null, // the filter chosen with "select all matching", or null
    retry: null, // a change refused as stale: {work, success}, to do again on the fresh version
    target: '',
    due: '',
    reason: '',
    versions: new Map(),
  }
  const message = h('div', { class: 'messages', id: 'planning-messages' })
  const createBox = h('section', { 'class': 'card', 'aria-labelledby': 'create-title' })
  const filterBox = h('form', {
    'class': 'card filters',
    'id': 'backlog-filters',
    'aria-label': t('plan.filters'),
  })
  const toolbar = h('div', { 'class': 'toolbar', 'role': 'toolbar', 'aria-label': t('plan.toolbar') })
  const poolBox = h('section', { 'class': 'pool', 'aria-labelledby': 'pool-title' })
  const roundsBox = h('section', { 'class': 'rounds', 'aria-labelledby': 'rounds-plan-title' })
  const mapBox = h('section', { 'class': 'card plan-map-box', 'aria-labelledby': 'plan-map-title' })
  const dayInput = h('input', {
    type: 'date',
    id: 'plan-date',
    value: state.day,
    onchange: () => {
      state.day = dayInput.value || localToday()
      refresh()
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
    h('div', { class: 'columns' }, h('div', { class: 'backlog' }, filterBox, poolBox), roundsBox),
    mapBox,
  )
  // A backlog marker clicked on the map ticks the item in the list, as its check box would.
  // A stop's marker dropped on another stop's marker of its round takes its place, as in the list.
  const planMap = planningMap(mapBox, config, {
    onPick: (id) => poolBox.querySelector(`input[data-key="select-${id}"]`)?.click(),
    canMove: (stop) => !FINAL.includes(stop.status),
    onReorder: (roundId, itemId, targetId) =>
      moveTo(
        roundId,
        itemId,
        state.details.get(roundId).stops.findIndex((s) => s.id === targetId),
      ),
  })
  const drawMap = () =>
    planMap.update({
      rounds: [...state.details.values()],
      pool: state.pool,
      isSelected: (id) => (state.allMatching ? true : state.selected.has(id)),
    })
  poolBox.addEventListener('change', drawMap)

  function say(text, kind = 'ok') {
    const retry =
      kind === 'stale' && state.retry
        ? h(
            'button',
            {
              type: 'button',
              id: 'plan-retry',
              class: 'primary',
              onclick: () => act(state.retry.work, state.retry.success),
            },
            t('plan.retry'),
          )
        : null
    replace(
      message,
      h(
        'p',
        { class: kind === 'ok' ? 'ok' : 'error', role: kind === 'ok' ? 'status' : 'alert' },
        text,
        ' ',
        retry,
      ),
    )
    if (kind === 'ok') announce(text)
  }

  /** What a 412 says happened meanwhile, in the reader's language. */
  function staleText(problem) {
    const what = (problem.changes || [])
      .slice(-3)
      .map((c) =>
        t('plan.changeLine', {
          by: c.by || '?',
          what: lang() === 'vi' ? c.summary_vi : c.summary_en,
          time: c.time,
        }),
      )
      .join('; ')
    return t('plan.stale', { id: problem.round_id, what: what || t('plan.someChange') })
  }

  // Do one change, reload, then say how it went: once the message shows, the page is settled. A
  // refusal keeps the selection (the user's intent); a stale version can be tried again.
  async function act(work, success) {
    let outcome
    try {
      await work()
      state.selected.clear()
      state.allMatching = null
      state.retry = null
      state.due = state.reason = ''
      outcome = [success, 'ok']
    } catch (error) {
      if (error.status === 412 && error.problem?.changes) {
        state.retry = { work, success }
        outcome = [staleText(error.problem), 'stale']
      } else outcome = [problemText(error), 'error']
    }
    await refresh({ mine: true })
    say(...outcome)
  }

  /** The version of a round this page showed, as If-Match. */
  function seen(roundId) {
    const detail = state.details.get(roundId)
    return detail ? { 'If-Match': `"${detail.version}"` } : {}
  }

  function backlogQuery() {
    const query = { plannable: true }
    for (const [key, value] of Object.entries(state.filter)) {
      if (value !== '') query[key] = key === 'status' ? [value] : value
    }
    return query
  }

  async function loadLists() {
    try {
      const [postmen, agencies, procedures] = await Promise.all([
        api.get('/api/users', { role: 'postman' }),
        api.get('/api/agencies'),
        api.get('/api/procedures'),
      ])
      Object.assign(state, { postmen, agencies, procedures })
    } catch (error) {
      say(problemText(error), 'error')
    }
    drawFilters()
  }

  async function refresh({ mine = false } = {}) {
    try {
      const [rounds, pool] = await Promise.all([
        api.get('/api/rounds', { date: state.day, per_page: 200 }),
        api.page('/api/items', { ...backlogQuery(), sort: state.sort, page: state.page, per_page: PER_PAGE }),
      ])
      const details = await Promise.all(rounds.map((r) => api.get(`/api/rounds/${r.id}`)))
      const elsewhere =
        !mine && details.some((d) => state.versions.has(d.id) && state.versions.get(d.id) !== d.version)
      state.rounds = rounds
      state.details = new Map(details.map((d) => [d.id, d]))
      state.versions = new Map(details.map((d) => [d.id, d.version]))
      state.pool = pool.rows
      state.total = pool.total
      if (elsewhere) announce(t('plan.changedElsewhere'))
    } catch (error) {
      say(problemText(error), 'error')
    }
    draw()
  }

  function draw() {
    drawCreate()
    drawToolbar()
    keepFocus(poolBox, drawPool, { pool: state.pool, total: state.total, page: state.page })
    keepFocus(roundsBox, drawRounds, { day: state.day, rounds: [...state.details.values()] })
    drawMap()
    const focus = params.get('item') && main.querySelector(`[data-item-id="${params.get('item')}"]`)
    if (focus && !params.get('scrolled')) {
      focus.scrollIntoView({ block: 'center' })
      params.set('scrolled', '1')
    }
  }

  /** The selection changed: the next draw redraws the check boxes (the focus comes back). */
  function forget() {
    changed(poolBox, null)
    changed(roundsBox, null)
    changed(toolbar, null)
  }

  /** Redraw a region only when its data changed, and give the focus back to the same control. */
  function keepFocus(region, drawRegion, data) {
    if (!changed(region, data)) return
    const key = region.contains(document.activeElement) ? document.activeElement.dataset.key : null
    drawRegion()
    if (key) region.querySelector(`[data-key="${key}"]`)?.focus()
  }

  function drawCreate() {
    const taken = new Set(state.rounds.map((r) => r.postman_id))
    if (!changed(createBox, { day: state.day, postmen: state.postmen, taken: [...taken] })) return
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

  function drawFilters() {
    const input = (key, type = 'text') => {
      const id = `filter-${key}`
      return h(
        'div',
        { class: 'field' },
        h('label', { for: id }, t(`plan.filter.${key}`)),
        h('input', { id, name: key, type, value: state.filter[key] }),
      )
    }
    const choice = (key, options) =>
      selectField(t(`plan.filter.${key}`), key, [{ value: '', label: t('plan.filter.any') }, ...options], {
        value: state.filter[key],
      }).field
    const sort = selectField(
      t('plan.sort'),
      'sort',
      SORTS.map((s) => ({ value: s, label: t(`plan.sort.${s}`) })),
      { value: state.sort },
    ).field
    filterBox.onsubmit = (event) => {
      event.preventDefault()
      // Each field's own value: a date box (dd/mm/yyyy, web/common/dom.js) reads as YYYY-MM-DD.
      FILTERS.forEach((key) => (state.filter[key] = String(filterBox.elements[key]?.value || '').trim()))
      state.sort = String(filterBox.elements.sort?.value || 'due_date')
      state.page = 1
      state.allMatching = null
      refresh({ mine: true })
    }
    replace(
      filterBox,
      h('h2', { id: 'filters-title' }, t('plan.filters')),
      h(
        'div',
        { class: 'inline-form' },
        input('commune'),
        choice(
          'agency_id',
          state.agencies.map((a) => ({ value: a.id, label: a.name })),
        ),
        choice(
          'procedure_id',
          state.procedures.map((p) => ({ value: p.id, label: p.name })),
        ),
        input('due_from', 'date'),
        input('due_to', 'date'),
        choice(
          'status',
          WAITING.map((s) => ({ value: s, label: label('status', s) })),
        ),
        choice(
          'direction',
          ['return', 'collect'].map((d) => ({ value: d, label: label('direction', d) })),
        ),
        sort,
        h('button', { type: 'submit', id: 'filter-apply' }, t('plan.filter.apply')),
      ),
    )
  }

  function selectionBody() {
    return state.allMatching ? { filter: state.allMatching } : { item_ids: [...state.selected] }
  }

  function selectedCount() {
    return state.allMatching ? state.total : state.selected.size
  }

  function drawToolbar() {
    const target = selectField(
      t('plan.target'),
      'target',
      [
        { value: '', label: t('plan.chooseRound') },
        ...state.rounds.map((r) => ({ value: r.id, label: `#${r.id} ${r.postman.full_name}` })),
      ],
      { value: state.target, onchange: (event) => (state.target = event.target.value) },
    )
    const onRounds = state.allMatching ? [] : [...state.selected].filter((id) => roundOf(id))
    const none = !selectedCount()
    const dueInput = h('input', {
      type: 'date',
      id: 'bulk-due',
      value: state.due || '',
      oninput: (event) => (state.due = event.target.value),
    })
    const reasonInput = h('input', {
      id: 'bulk-reason',
      maxlength: 500,
      value: state.reason || '',
      oninput: (event) => (state.reason = event.target.value),
    })
    const key = {
      n: selectedCount(),
      all: !!state.allMatching,
      rounds: state.rounds.map((r) => r.id),
      onRounds,
    }
    if (!changed(toolbar, key) && toolbar.childElementCount) return
    replace(
      toolbar,
      h(
        'span',
        { class: 'count', id: 'selected-count', role: 'status' },
        state.allMatching
          ? t('plan.selectedAll', { n: number(state.total) })
          : t('plan.selected', { n: number(state.selected.size) }),
      ),
      target.field,
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          id: 'assign-button',
          disabled: none || !state.rounds.length,
          onclick: () => {
            const roundId = Number(target.input.value)
            if (!roundId) {
              say(t('plan.pickRound'), 'error')
              target.input.focus()
              return
            }
            assign(roundId, selectionBody())
          },
        },
        t('plan.assign'),
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'unassign-button',
          disabled: !onRounds.length,
          onclick: () => unassign(onRounds),
        },
        t('plan.unassign'),
      ),
      h(
        'span',
        { class: 'bulk-field' },
        h('label', { for: 'bulk-due' }, t('plan.newDue')),
        ' ',
        dueInput,
        h(
          'button',
          {
            type: 'button',
            id: 'reschedule-button',
            disabled: none,
            onclick: () => {
              if (!dueInput.value) return dueInput.focus()
              const body = { action: 'reschedule', due_date: dueInput.value, ...selectionBody() }
              const n = selectedCount()
              act(
                () => api.post('/api/items/bulk-action', body),
                t('plan.rescheduled', { n: number(n), date: showDay(dueInput.value) }),
              )
            },
          },
          t('plan.reschedule'),
        ),
      ),
      h(
        'span',
        { class: 'bulk-field' },
        h('label', { for: 'bulk-reason' }, t('plan.cancelReason')),
        ' ',
        reasonInput,
        h(
          'button',
          {
            type: 'button',
            id: 'cancel-button',
            disabled: none,
            onclick: () => {
              if (!reasonInput.value.trim()) return reasonInput.focus()
              const body = { action: 'cancel', reason: reasonInput.value.trim(), ...selectionBody() }
              const n = selectedCount()
              act(() => api.post('/api/items/bulk-action', body), t('plan.cancelled', { n: number(n) }))
            },
          },
          t('plan.cancel'),
        ),
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'print-selected-labels',
          disabled: none,
          onclick: () => print('/api/items/labels.pdf', selectionBody()),
        },
        t('plan.printLabels'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          disabled: none,
          onclick: () => {
            state.selected.clear()
            state.allMatching = null
            forget()
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

  // Listed items go by the round's own assign (its messages name each item); "all matching" by the
  // bulk action, the whole filtered set as the server finds it. Both with the round's version.
  function assign(roundId, selection) {
    const n = selection.item_ids ? selection.item_ids.length : state.total
    const call = selection.item_ids
      ? () => api.post(`/api/rounds/${roundId}/assign`, selection, null, seen(roundId))
      : () =>
          api.post(
            '/api/items/bulk-action',
            { action: 'assign', round_id: roundId, ...selection },
            null,
            seen(roundId),
          )
    act(call, t('plan.assigned', { n: number(n), id: roundId }))
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
          await api.post(`/api/rounds/${roundId}/unassign`, { item_ids: list }, null, seen(roundId))
      },
      t('plan.unassigned', { n: ids.length }),
    )
  }

  /** Move one stop up (-1) or down (+1): the round's whole order, sent with the version shown. */
  function move(roundId, itemId, step) {
    const order = state.details.get(roundId).stops.map((s) => s.id)
    const at = order.indexOf(itemId)
    if (at + step < 0 || at + step >= order.length) return
    moveTo(roundId, itemId, at + step)
  }

  /** Put one stop at place `to` (0-based) of its round: by the arrows or by dragging it there. */
  function moveTo(roundId, itemId, to) {
    const stops = state.details.get(roundId).stops
    const order = stops.map((s) => s.id).filter((id) => id !== itemId)
    if (stops.findIndex((s) => s.id === itemId) === to) return
    order.splice(to, 0, itemId)
    const code = stops.find((s) => s.id === itemId).code
    act(
      () => api.put(`/api/rounds/${roundId}/order`, { item_ids: order }, seen(roundId)),
      t('plan.moved', { code, n: to + 1 }),
    )
  }

  // A stop dragged onto another stop of its own round takes that stop's place (the card's drop, which
  // assigns, does not see it); onto another round's card it is assigned there, as any item.
  const STOP = 'application/x-postround-stop'
  function reorderable(row, roundId, index) {
    row.addEventListener('dragover', (event) => {
      if (!event.dataTransfer.types.includes(STOP)) return
      event.preventDefault()
      event.stopPropagation()
      row.classList.add('drop-before')
    })
    row.addEventListener('dragleave', () => row.classList.remove('drop-before'))
    row.addEventListener('drop', (event) => {
      row.classList.remove('drop-before')
      const dragged = JSON.parse(event.dataTransfer.getData(STOP) || 'null')
      if (!dragged || dragged.round !== roundId) return // another round's stop: the card assigns it
      event.preventDefault()
      event.stopPropagation()
      moveTo(roundId, dragged.item, index)
    })
  }

  /** Open a printable PDF in the reader's language; a refusal is said on the page. */
  function print(path, body) {
    printFile(path, body, (text) => say(text, 'error'))
  }

  function checkbox(item, disabled) {
    return h('input', {
      'type': 'checkbox',
      'data-key': `select-${item.id}`,
      'aria-label': t('plan.select', { code: item.code }),
      'checked': state.allMatching ? !disabled && !roundOf(item.id) : state.selected.has(item.id),
      disabled,
      'onchange': (event) => {
        if (state.allMatching) {
          // Unticking one item of "all matching" turns the selection into this page's other items.
          state.allMatching = null
          state.pool.forEach((i) => state.selected.add(i.id))
        }
        if (event.target.checked) state.selected.add(item.id)
        else state.selected.delete(item.id)
        event.target.closest('tr, li')?.classList.toggle('selected', event.target.checked)
        drawToolbar()
      },
    })
  }

  function draggable(row, item, roundId = null) {
    row.draggable = true
    row.addEventListener('dragstart', (event) => {
      const ids = state.selected.has(item.id) ? [...state.selected] : [item.id]
      event.dataTransfer.setData('application/x-postround-items', JSON.stringify(ids))
      if (roundId !== null)
        event.dataTransfer.setData(STOP, JSON.stringify({ round: roundId, item: item.id }))
      event.dataTransfer.setData('text/plain', ids.join(','))
      event.dataTransfer.effectAllowed = 'move'
    })
  }

  function drawPool() {
    const pages = Math.max(1, Math.ceil(state.total / PER_PAGE))
    const rows = state.pool.map((item) => {
      const row = h(
        'tr',
        { 'data-item-id': item.id, 'class': state.selected.has(item.id) ? 'selected' : '' },
        h('td', {}, checkbox(item, false)),
        h('td', { class: 'code' }, h('a', { href: `#/items/${item.id}` }, item.code)),
        h(
          'td',
          {},
          item.recipient_name,
          h('div', { class: 'small muted' }, `${item.address_line}, ${item.commune}`),
        ),
        h('td', { class: 'small' }, label('direction', item.direction)),
        h(
          'td',
          {},
          label('status', item.status),
          item.attempt_count
            ? h('div', { class: 'small muted' }, t('plan.attempts', { n: item.attempt_count }))
            : null,
          citizenNote(item),
        ),
        h('td', {}, showDay(item.due_date)),
        h('td', { class: 'small' }, item.round_id ? `#${item.round_id}` : '—'),
      )
      draggable(row, item)
      return row
    })
    const pageButton = (step, text, id) =>
      h(
        'button',
        {
          'type': 'button',
          id,
          'data-key': id,
          'disabled': state.page + step < 1 || state.page + step > pages,
          'onclick': () => {
            state.page += step
            refresh({ mine: true })
          },
        },
        text,
      )
    replace(
      poolBox,
      h('h2', { id: 'pool-title' }, t('plan.pool', { n: number(state.total) })),
      h('p', { class: 'muted small' }, t('plan.poolHint')),
      state.total
        ? h(
            'p',
            {},
            h(
              'button',
              {
                'type': 'button',
                'id': 'select-all-matching',
                'data-key': 'select-all-matching',
                'onclick': () => {
                  const query = backlogQuery()
                  state.allMatching = query
                  state.selected.clear()
                  forget()
                  draw()
                  announce(t('plan.selectedAll', { n: number(state.total) }))
                },
              },
              t('plan.selectAllMatching', { n: number(state.total) }),
            ),
          )
        : null,
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
                [
                  '',
                  'plan.code',
                  'plan.recipient',
                  'plan.direction',
                  'plan.status',
                  'plan.due',
                  'plan.round',
                ].map((k) =>
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
      state.total > PER_PAGE
        ? h(
            'nav',
            { 'class': 'pager', 'aria-label': t('plan.pages') },
            pageButton(-1, t('plan.prev'), 'pool-prev'),
            h('span', { id: 'pool-page' }, ` ${t('plan.page', { page: state.page, pages })} `),
            pageButton(1, t('plan.next'), 'pool-next'),
          )
        : null,
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

  function stopButton(r, s, step, index) {
    const id = `${step < 0 ? 'up' : 'down'}-${s.id}`
    const stops = r.stops || []
    return h(
      'button',
      {
        'type': 'button',
        'class': 'move',
        'data-key': id,
        'aria-label': t(step < 0 ? 'plan.moveUp' : 'plan.moveDown', { code: s.code }),
        'disabled': index + step < 0 || index + step >= stops.length,
        'onclick': () => move(r.id, s.id, step),
      },
      step < 0 ? '↑' : '↓',
    )
  }

  function roundCard(r) {
    const card = h(
      'article',
      {
        'class': 'round-card',
        'data-round-id': r.id,
        'data-version': r.version,
        'aria-labelledby': `round-${r.id}-title`,
      },
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
            'type': 'button',
            'data-key': `optimise-${r.id}`,
            'disabled': !r.stop_count,
            'onclick': () =>
              act(
                () => api.post(`/api/rounds/${r.id}/optimise`, null, null, seen(r.id)),
                t('plan.optimised', { id: r.id }),
              ),
          },
          t('plan.optimise'),
        ),
        ...roundPrintButtons(r, (text) => say(text, 'error')),
      ),
      h(
        'ol',
        { class: 'stops' },
        (r.stops || []).map((s, index) => {
          const final = FINAL.includes(s.status)
          const row = h(
            'li',
            { 'data-item-id': s.id, 'class': final ? 'final' : '' },
            checkbox(s, final),
            ' ',
            h('span', { class: 'code' }, s.code),
            ` ${s.recipient_name} — ${s.commune} `,
            h('span', { class: 'small muted' }, `${label('direction', s.direction)} `),
            h('span', { class: `status status-${s.status}` }, label('status', s.status)),
            citizenNote(s),
            s.leg_distance_m !== null && s.leg_distance_m !== undefined
              ? h('span', { class: 'small muted' }, ` +${metres(s.leg_distance_m)}`)
              : null,
            ' ',
            stopButton(r, s, -1, index),
            stopButton(r, s, 1, index),
          )
          if (!final) draggable(row, s, r.id)
          reorderable(row, r.id, index)
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
      if (ids.length) assign(r.id, { item_ids: ids })
    })
    return card
  }

  // The lists for the forms first, so the page does not shift under the user's pointer later.
  let poller = null
  let stopped = false
  loadLists().then(() => {
    if (!stopped) poller = poll(refresh, config?.poll_seconds || 10)
  })
  return () => {
    stopped = true
    poller?.stop()
    planMap.remove()
  }
}

// The citizen's answer from the tracking link (another day, a stand-in, pickup): the planner acts on it.
function citizenNote(item) {
  const text = citizenAnswer(item)
  return text ? h('div', { 'class': 'small warn', 'data-citizen': item.citizen_choice }, text) : null
}
