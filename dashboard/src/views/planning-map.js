// The planning page's map: one round's stops (or every round's, one colour each) numbered in their
// order and, when asked, the backlog items of the list shown (filtered and paged) that have
// coordinates. Clicking a backlog marker ticks that item in the list, so it can be assigned like any
// ticked item. A stop's marker dragged onto another stop's marker of its round takes that stop's place
// (`onReorder`, which sends the round's new order with its version, as the list's drag does); dropped
// anywhere else it goes back. The text list under the
// map says the same for keyboard and screen-reader users (the list's check boxes do the ticking).
// The page polls: the markers are redrawn only when what they show changed, and the view is fitted
// only when another round (or the backlog) is put on the map, so the user's zoom stays.
import { h, replace } from '@common/dom.js'
import { number } from '@common/format.js'
import { label, t } from '../lib/i18n.js'
import { COLOURS, dot, fit, officeMap, stopDot } from '../lib/leaflet-map.js'
import { changed } from '../lib/memo.js'

// One colour per round when every round is on the map (distinct on the plain background and for
// the common colour blindnesses; the text list names each round with its colour).
export const ROUND_COLOURS = [
  '#1f5fbf',
  '#c77700',
  '#1b7f3b',
  '#8e3ab8',
  '#b3261e',
  '#00838f',
  '#6d4c41',
  '#d81b60',
]
const ALL = 'all'
// How near (screen pixels) to another stop's marker a dragged marker must be let go to take its place:
// the markers are 24 px wide.
const DROP_PX = 18

/** Fills `box` (already on the page) and returns {update({rounds, pool, isSelected}), remove()}. */
export function planningMap(box, config, { onPick, onReorder, canMove = () => false }) {
  let data = { rounds: [], pool: [], isSelected: () => false }
  let roundId = ''
  let fittedFor = null
  const roundSelect = h('select', {
    id: 'plan-map-round',
    onchange: () => {
      roundId = roundSelect.value
      draw()
    },
  })
  const backlog = h('input', { type: 'checkbox', id: 'plan-map-backlog', onchange: () => draw() })
  const mapElement = h('div', {
    'class': 'map plan-map',
    'id': 'plan-map',
    'role': 'region',
    'aria-label': t('plan.map.title'),
  })
  const list = h('div', { id: 'plan-map-list' })
  replace(
    box,
    h('h2', { id: 'plan-map-title' }, t('plan.map.title')),
    h(
      'div',
      { class: 'inline-form' },
      h('div', { class: 'field' }, h('label', { for: 'plan-map-round' }, t('plan.map.round')), roundSelect),
      h(
        'div',
        { class: 'field inline' },
        backlog,
        h('label', { for: 'plan-map-backlog' }, t('plan.map.backlog')),
      ),
    ),
    mapElement,
    list,
  )
  const { map, layer } = officeMap(mapElement, config)

  function drawChoices() {
    const rounds = data.rounds.map((r) => [r.id, r.postman.full_name])
    if (!(roundId === ALL && rounds.length > 1) && !rounds.some(([id]) => String(id) === roundId))
      roundId = rounds.length ? String(rounds[0][0]) : ''
    if (!changed(roundSelect, rounds)) return
    replace(
      roundSelect,
      rounds.length
        ? [
            ...rounds.map(([id, name]) => h('option', { value: String(id) }, `#${id} ${name}`)),
            rounds.length > 1
              ? h('option', { value: ALL }, t('plan.map.allRounds', { n: rounds.length }))
              : null,
          ]
        : h('option', { value: '' }, t('today.noRounds')),
    )
    roundSelect.value = roundId
  }

  function draw() {
    drawChoices()
    const shownRounds = roundId === ALL ? data.rounds : data.rounds.filter((r) => String(r.id) === roundId)
    const colourOf = new Map(data.rounds.map((r, n) => [r.id, ROUND_COLOURS[n % ROUND_COLOURS.length]]))
    const stops = shownRounds.flatMap((r) =>
      (r.stops || []).filter((s) => s.lat !== null).map((s) => ({ ...s, round_id: r.id, round: r })),
    )
    const waiting = backlog.checked
      ? data.pool
          .filter((i) => i.lat !== null && i.lat !== undefined && !i.round_id)
          .map((i) => ({ ...i, selected: data.isSelected(i.id) }))
      : []
    const shown = {
      roundId,
      stops: stops.map((s) => [
        s.round.id,
        s.id,
        s.stop_order,
        s.lat,
        s.lon,
        s.status,
        s.code,
        s.recipient_name,
      ]),
      waiting: waiting.map((i) => [i.id, i.lat, i.lon, i.code, i.recipient_name, i.selected]),
      unplaced: shownRounds.map((r) => (r.stops || []).filter((s) => s.lat === null).map((s) => s.id)),
      colours: [...colourOf],
    }
    if (!changed(mapElement, shown)) return
    layer.clearLayers()
    const placed = stops.map((stop) => ({
      stop,
      marker: stopDot(layer, stop, {
        postman: stop.round.postman.full_name,
        numbered: true,
        colour: roundId === ALL ? colourOf.get(stop.round.id) : null,
        draggable: canMove(stop),
      }),
    }))
    for (const { stop, marker } of placed) marker.on('dragend', () => dropped(stop, marker, placed))
    for (const item of waiting)
      dot(layer, item.lat, item.lon, {
        colour: COLOURS.registered,
        text: item.selected ? '✓' : '+',
        selected: item.selected,
        data: { itemId: item.id, backlog: '' },
        label: `${item.code} — ${item.recipient_name}: ${t(item.selected ? 'plan.map.ticked' : 'plan.map.tick')}`,
        onClick: () => onPick(item.id),
      })
    const view = `${roundId}|${backlog.checked}`
    const points = [...stops, ...waiting].map((p) => [p.lat, p.lon])
    if (fittedFor !== view && points.length) {
      fit(map, points)
      fittedFor = view
    }
    replace(
      list,
      shownRounds.map((r) =>
        describe(
          r,
          stops.filter((s) => s.round === r),
          roundId === ALL ? colourOf.get(r.id) : null,
        ),
      ),
      waitingLine(waiting),
    )
  }

  /** A stop's marker let go: onto another stop of its round it takes its place; it goes back to its
   *  own point either way (the round's new order, once saved, redraws the numbers). */
  function dropped(stop, marker, placed) {
    const at = map.latLngToContainerPoint(marker.getLatLng())
    marker.setLatLng([stop.lat, stop.lon])
    const [target] = placed
      .filter((p) => p.stop.round_id === stop.round_id && p.stop.id !== stop.id)
      .map((p) => ({ stop: p.stop, away: map.latLngToContainerPoint(p.marker.getLatLng()).distanceTo(at) }))
      .filter((p) => p.away <= DROP_PX)
      .sort((a, b) => a.away - b.away)
    if (target) onReorder(stop.round_id, stop.id, target.stop.id)
  }

  return {
    update(next) {
      data = next
      draw()
    },
    remove: () => map.remove(),
  }
}

/** One round's stops as a numbered text list; with `colour` (every round on the map) headed by its
 *  postman and its colour's swatch. */
function describe(round, stops, colour) {
  const unplaced = (round.stops || []).filter((s) => s.lat === null)
  return [
    colour
      ? h(
          'h3',
          { 'class': 'small', 'data-round-id': round.id, 'data-colour': colour },
          swatch(colour),
          `#${round.id} ${round.postman.full_name}`,
        )
      : null,
    h(
      'ol',
      {
        'class': 'plain small plan-map-stops',
        'id': colour ? `plan-map-stops-${round.id}` : 'plan-map-stops',
        'aria-label': t('plan.map.stopsOf', { id: round.id }),
      },
      stops.map((s) =>
        h(
          'li',
          { 'data-item-id': s.id },
          `${s.stop_order ?? ''}. `,
          h('span', { class: 'code' }, s.code),
          ` ${s.recipient_name} — ${s.address_line}, ${s.commune} (${label('status', s.status)})`,
        ),
      ),
    ),
    unplaced.length
      ? h('p', { class: 'muted small' }, t('map.unplaced', { codes: unplaced.map((s) => s.code).join(', ') }))
      : null,
  ]
}

function swatch(colour) {
  const node = h('span', { 'class': 'round-swatch', 'aria-hidden': 'true' })
  node.style.background = colour // through the CSSOM: the page's CSP allows no inline style attribute
  return node
}

function waitingLine(waiting) {
  return [
    waiting.length
      ? h(
          'p',
          { class: 'muted small', id: 'plan-map-waiting' },
          t('plan.map.waiting', {
            n: number(waiting.length),
            ticked: number(waiting.filter((i) => i.selected).length),
          }),
        )
      : null,
  ]
}
