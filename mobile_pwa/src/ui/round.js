// Today's round: the stops in route order with distance and status, the day's counters, and a
// search that matches with or without diacritics.
import { on } from '../events.js'
import { toast } from './toast.js'
import { t } from '../i18n.js'
import { addressKey, DONE, OPEN, pickRound, roundView, rounds } from '../queries.js'
import { h, replace } from '@common/dom.js'
import { addDays, day, fold, localToday, metres, money } from '@common/format.js'
import { itemCodeIn } from '../scan.js'
import { toCollect } from './item.js'
import { scanButton } from './scanner.js'

let chosenDay = null
let query = ''

function dayLabel(date) {
  const today = localToday()
  if (date === today) return t('round.today')
  if (date === addDays(today, -1)) return t('round.yesterday')
  if (date === addDays(today, 1)) return t('round.tomorrow')
  return day(date)
}

function haystack(item) {
  return fold(
    [
      item.recipient_name,
      item.address_line,
      item.commune,
      item.province,
      item.old_address,
      item.code,
      item.dossier_code,
      item.recipient_phone,
    ]
      .filter(Boolean)
      .join(' '),
  )
}

function stopRow(item, pending, flagged) {
  const where = [item.address_line, item.commune].filter(Boolean).join(', ')
  // The distance first: the row may be cut at the phone's width.
  const meta = [
    item.leg_distance_m != null ? t('stop.leg', { d: metres(item.leg_distance_m) }) : null,
    item.code,
    t(`direction.${item.direction}`),
  ]
  return h(
    'li',
    { 'class': 'stop', 'data-item-id': item.id, 'data-status': item.status, 'data-search': haystack(item) },
    h(
      'a',
      { href: `#/item/${item.id}`, class: 'stop-link' },
      h(
        'span',
        { 'class': 'order', 'aria-label': t('stop.order', { n: item.stop_order ?? '–' }) },
        String(item.stop_order ?? '–'),
      ),
      h(
        'span',
        { class: 'stop-main' },
        h('strong', { class: 'name' }, item.recipient_name),
        h('span', { class: 'addr' }, where),
        h('span', { class: 'meta' }, meta.filter(Boolean).join(' · ')),
      ),
      h(
        'span',
        { class: 'chips' },
        h('span', { class: `chip st-${item.status}` }, t(`status.${item.status}`)),
        pending.has(item.id) ? h('span', { class: 'chip st-unsynced' }, t('status.unsynced')) : null,
        flagged.has(item.id) ? h('span', { class: 'chip st-attention' }, t('status.attention')) : null,
      ),
      // The money to collect at this door, in sight on the list.
      OPEN.has(item.status) && toCollect(item)
        ? h('span', { 'class': 'chip fee', 'data-fee': toCollect(item) }, money(toCollect(item)))
        : null,
    ),
  )
}

function counter(key, value) {
  return h(
    'li',
    { 'class': `count count-${key}`, 'data-count': key },
    h('span', { class: 'count-n' }, String(value)),
    h('span', { class: 'count-l' }, t(`count.${key}`)),
  )
}

/** Stops at one door side by side: several items at one address make one group in the list. */
function byDoor(items) {
  const groups = new Map()
  for (const item of items) {
    const key = `${item.direction}|${addressKey(item)}`
    if (!groups.has(key)) groups.set(key, [])
    groups.get(key).push(item)
  }
  return [...groups.values()]
}

function stopRows(items, view) {
  return byDoor(items).map((group) =>
    group.length === 1
      ? stopRow(group[0], view.pending, view.flagged)
      : h(
          'li',
          { 'class': 'stop-group', 'data-group': group.length },
          h('p', { class: 'group-title' }, t('round.sameDoor', { n: group.length })),
          h(
            'ol',
            { class: 'stops' },
            group.map((item) => stopRow(item, view.pending, view.flagged)),
          ),
        ),
  )
}

export async function roundScreen() {
  const section = h('section', { class: 'screen round' })
  async function draw() {
    const list = await rounds()
    const round = pickRound(list, chosenDay)
    const view = await roundView(round)
    // Open stops in route order; the done ones collapse to the bottom.
    const open = view.items.filter((item) => !DONE.has(item.status))
    const done = view.items.filter((item) => DONE.has(item.status))
    const stops = h('ol', { 'class': 'stops', 'aria-labelledby': 'stops-title' }, stopRows(open, view))
    const doneList = done.length
      ? h(
          'details',
          { class: 'done-stops' },
          h('summary', null, t('round.doneStops', { n: done.length })),
          h('ol', { class: 'stops' }, stopRows(done, view)),
        )
      : null
    const empty = h('p', { class: 'empty', hidden: true }, t('round.noMatch'))
    const filter = () => {
      const words = fold(query).split(' ').filter(Boolean)
      let shown = 0
      for (const row of section.querySelectorAll('.stop')) {
        const match = words.every((word) => row.dataset.search.includes(word))
        row.hidden = !match
        shown += match ? 1 : 0
      }
      for (const group of section.querySelectorAll('.stop-group'))
        group.hidden = !group.querySelector('.stop:not([hidden])')
      // A search reaches into the done stops too.
      if (doneList && words.length) doneList.open = Boolean(doneList.querySelector('.stop:not([hidden])'))
      empty.hidden = shown > 0 || !view.items.length
    }
    const search = h('input', {
      id: 'search',
      type: 'search',
      value: query,
      placeholder: t('search.placeholder'),
      autocomplete: 'off',
      oninput: (event) => {
        query = event.target.value
        filter()
      },
    })
    // Scan an envelope to open its stop.
    const scan = scanButton({
      name: 'item',
      label: t('scan.item'),
      accept: itemCodeIn,
      onResult: (code) => {
        const found = view.items.find((item) => item.code === code)
        if (found) location.hash = `#/item/${found.id}`
        else toast(t('scan.notOnRound', { code }), 'warn')
      },
    })
    const hadFocus = document.activeElement?.id === 'search'
    replace(
      section,
      h(
        'h1',
        { id: 'screen-title', tabindex: '-1' },
        round ? `${dayLabel(round.date)} · ${day(round.date)}` : t('round.today'),
      ),
      list.length > 1
        ? h(
            'nav',
            { 'class': 'days', 'aria-label': t('round.days') },
            list.map((r) =>
              h(
                'button',
                {
                  'type': 'button',
                  'class': 'chip-btn',
                  'aria-pressed': String(r.id === round?.id),
                  'onclick': () => {
                    chosenDay = r.date
                    draw()
                  },
                },
                dayLabel(r.date),
              ),
            ),
          )
        : null,
      round
        ? h(
            'p',
            { class: 'sub' },
            t('round.total', { d: metres(round.total_distance_m ?? 0), n: view.items.length }),
          )
        : null,
      h(
        'ul',
        { 'class': 'counters', 'aria-label': t('round.title') },
        counter('todo', view.counts.todo),
        counter('done', view.counts.done),
        counter('failed', view.counts.failed),
        counter('unsynced', view.counts.unsynced),
      ),
      h(
        'div',
        { class: 'search-row' },
        h(
          'div',
          { class: 'field search' },
          h('label', { for: 'search', class: 'visually-hidden' }, t('search.label')),
          search,
        ),
        scan.element,
        round
          ? h(
              'a',
              { 'class': 'btn btn-secondary map-link', 'href': `#/map/${round.id}`, 'data-action': 'map' },
              t('map.open'),
            )
          : null,
      ),
      h('h2', { id: 'stops-title', class: 'visually-hidden' }, t('round.stops')),
      view.items.length ? [stops, doneList] : h('p', { class: 'empty' }, t('round.none')),
      empty,
      h('a', { 'class': 'btn btn-block', 'href': '#/day', 'data-action': 'end-of-day' }, t('day.open')),
      h(
        'a',
        { 'class': 'btn btn-block', 'href': '#/handover', 'data-action': 'handover' },
        t('handover.open'),
      ),
    )
    filter()
    if (hadFocus) search.focus()
  }
  await draw()
  let last = ''
  const off = on('sync', (snap) => {
    // Redraw when a sync finished or the queue changed (not on every tick).
    const key = `${snap.running}|${snap.pending}|${snap.attention}|${snap.lastSync}`
    if (key !== last && !snap.running) draw()
    last = key
  })
  return { node: section, title: t('round.title'), cleanup: off }
}
