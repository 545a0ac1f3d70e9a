// The search box in the header of every page: items, rounds and postmen of the supervisor's offices,
// with or without diacritics (GET /api/search). A combobox: typing shows the results grouped under
// their totals; up/down moves through them, Enter opens one (an item opens its page), Esc closes.
import * as api from '../lib/api.js'
import { announce, h, newId, replace } from '@common/dom.js'
import { day, number } from '@common/format.js'
import { label, t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'

const PER_PAGE = 8
const WAIT_MS = 250
const GROUPS = ['items', 'rounds', 'postmen']

/** A group's total as words: "1.000", or "hơn 1.000" when the server stopped counting (`more`). */
function totalText(group) {
  return group.more ? t('search.moreThan', { n: number(group.total) }) : number(group.total)
}

export function searchBox() {
  const listId = newId('search-results')
  const helpId = newId('search-help')
  const input = h('input', {
    'type': 'search',
    'id': 'search-q',
    'autocomplete': 'off',
    'role': 'combobox',
    'aria-expanded': 'false',
    'aria-controls': listId,
    'aria-autocomplete': 'list',
    'aria-describedby': helpId,
    'placeholder': t('search.placeholder'),
    'maxlength': 100,
  })
  const list = h('div', { id: listId, class: 'search-results', role: 'listbox', hidden: true })
  let options = [] // [{element, open}]
  let active = -1
  let timer = null
  let asked = 0
  let answer = null

  function close() {
    list.hidden = true
    input.setAttribute('aria-expanded', 'false')
    input.removeAttribute('aria-activedescendant')
    active = -1
  }

  function activate(index) {
    options.forEach((o, i) => o.element.setAttribute('aria-selected', String(i === index)))
    active = index
    if (index < 0) return input.removeAttribute('aria-activedescendant')
    input.setAttribute('aria-activedescendant', options[index].element.id)
    options[index].element.scrollIntoView({ block: 'nearest' })
  }

  function option(text, open, extra = {}) {
    const element = h(
      'div',
      {
        'id': newId('search-opt'),
        'role': 'option',
        'aria-selected': 'false',
        'class': 'search-hit',
        ...extra,
      },
      text,
    )
    const entry = { element, open }
    element.addEventListener('mousedown', (event) => event.preventDefault()) // keep the focus in the box
    element.addEventListener('click', () => choose(entry))
    options.push(entry)
    return element
  }

  function choose(entry) {
    if (entry.more) return entry.open()
    close()
    input.value = ''
    entry.open()
  }

  function go(hash) {
    return () => {
      location.hash = hash
    }
  }

  const render = {
    items: (hit) =>
      option(
        [
          h('strong', {}, hit.code),
          ` ${hit.recipient_name} — ${hit.address_line}, ${hit.commune}`,
          h('span', { class: 'muted small' }, ` · ${label('status', hit.status)}`),
        ],
        go(`#/items/${hit.id}`),
        { 'data-item-id': hit.id },
      ),
    rounds: (hit) =>
      option(
        t('search.round', { date: day(hit.round_date), name: hit.postman.full_name, n: hit.stop_count }),
        go(`#/planning?date=${hit.round_date}`),
        { 'data-round-id': hit.id },
      ),
    postmen: (hit) =>
      option(
        [
          h('strong', {}, hit.full_name),
          ` (${hit.username}${hit.phone ? `, ${hit.phone}` : ''})`,
          hit.active ? null : h('span', { class: 'muted small' }, ` · ${t('search.inactive')}`),
        ],
        go('#/planning'),
        { 'data-user-id': hit.id },
      ),
  }

  function draw(keep = -1) {
    options = []
    const groups = GROUPS.filter((g) => answer[g].total > 0).map((g) => {
      const group = answer[g]
      const headId = newId(`search-${g}`)
      const left = group.total - group.results.length
      const hits = group.results.map(render[g])
      const name = t(`search.${g}`).toLowerCase()
      const more =
        left > 0 || group.more
          ? option(
              group.more
                ? t('search.moreUncounted', { group: name })
                : t('search.more', { group: name, left: number(left) }),
              () => loadMore(g),
              {
                'class': 'search-hit more',
                'data-more': g,
              },
            )
          : null
      if (more) options[options.length - 1].more = true
      return h(
        'div',
        { 'role': 'group', 'aria-labelledby': headId, 'class': 'search-group', 'data-group': g },
        h(
          'div',
          { id: headId, class: 'search-group-head' },
          `${t(`search.${g}`)} `,
          h(
            'span',
            { class: 'muted small' },
            t('search.count', { shown: number(group.results.length), total: totalText(group) }),
          ),
        ),
        hits,
        more,
      )
    })
    if (!groups.length)
      replace(list, h('p', { class: 'muted search-none' }, t('search.none', { q: answer.q })))
    else replace(list, groups)
    list.hidden = false
    input.setAttribute('aria-expanded', 'true')
    activate(Math.min(keep, options.length - 1))
  }

  async function ask() {
    const q = input.value.trim()
    const mine = ++asked
    if (q.length < 2) return close()
    try {
      const found = await api.get('/api/search', { q, per_page: PER_PAGE })
      if (mine !== asked) return // a newer question is on its way
      answer = found
      draw()
      announce(
        t('search.found', {
          items: totalText(found.items),
          rounds: totalText(found.rounds),
          postmen: totalText(found.postmen),
        }),
      )
    } catch (error) {
      if (mine !== asked) return
      replace(list, h('p', { class: 'error', role: 'alert' }, problemText(error)))
      list.hidden = false
    }
  }

  async function loadMore(group) {
    const current = answer[group]
    const page = current.results.length / PER_PAGE + 1
    const keep = active
    const found = await api.get('/api/search', { q: answer.q, group, page, per_page: PER_PAGE })
    current.results = [...current.results, ...found[group].results]
    current.total = found[group].total
    current.more = found[group].more
    draw(keep)
  }

  input.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(ask, WAIT_MS)
  })
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (list.hidden && answer) draw()
      if (!options.length) return
      event.preventDefault()
      const step = event.key === 'ArrowDown' ? 1 : -1
      activate((active + step + options.length) % options.length)
    } else if (event.key === 'Enter') {
      event.preventDefault()
      clearTimeout(timer)
      if (active >= 0 && !list.hidden) choose(options[active])
      else if (options.length === 1 && !list.hidden) choose(options[0])
      else ask()
    } else if (event.key === 'Escape') {
      if (!list.hidden) {
        event.preventDefault()
        close()
      }
    }
  })
  input.addEventListener('blur', () => setTimeout(close, 150))

  return h(
    'form',
    { class: 'search', role: 'search', onsubmit: (event) => event.preventDefault() },
    h('label', { for: 'search-q', class: 'visually-hidden' }, t('search.label')),
    input,
    h('p', { id: helpId, class: 'visually-hidden' }, t('search.help')),
    list,
  )
}
