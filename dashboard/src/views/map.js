// Stops of the day's rounds and where each proof was captured; a proof far from the address is red,
// with a dashed line to the address. A list under the map says the same for keyboard and screen readers.
import * as api from '../lib/api.js'
import { problemText } from '../lib/problems.js'
import { h, replace } from '@common/dom.js'
import { localToday, metres, time } from '@common/format.js'
import { label, t } from '../lib/i18n.js'
import { COLOURS, dot, fit, line, officeMap, stopDot } from '../lib/leaflet-map.js'
import { changed } from '../lib/memo.js'
import { poll } from '../lib/poller.js'
import { openProof } from './proof.js'

export function renderMap(main, { config, params }) {
  let day = params.get('date') || localToday()
  const dayInput = h('input', {
    type: 'date',
    id: 'map-date',
    value: day,
    onchange: () => {
      day = dayInput.value || localToday()
      fitted = false
      poller.now()
    },
  })
  const mapElement = h('div', { 'class': 'map', 'id': 'map', 'role': 'region', 'aria-label': t('map.title') })
  const list = h('section', { 'aria-labelledby': 'map-list-title' })
  const error = h('p', { class: 'error', role: 'alert' })
  replace(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('map.title')),
      h('div', { class: 'field inline' }, h('label', { for: 'map-date' }, t('common.date')), dayInput),
    ),
    legend(config),
    error,
    mapElement,
    list,
  )

  const { map, layer } = officeMap(mapElement, config)
  let fitted = false

  async function refresh() {
    try {
      const data = await api.get('/api/dashboard/map', { date: day })
      error.textContent = ''
      if (!changed(mapElement, data)) return
      layer.clearLayers()
      const points = draw(layer, data)
      if (!fitted) {
        fit(map, points)
        fitted = points.length > 0
      }
      replace(list, describe(data))
    } catch (e) {
      error.textContent = problemText(e)
    }
  }

  const poller = poll(refresh, config.poll_seconds)
  return () => {
    poller.stop()
    map.remove()
  }
}

function legend(config) {
  const entries = [
    ['assigned', 'map.legend.pending'],
    ['delivered', 'map.legend.done'],
    ['failed_attempt', 'map.legend.failed'],
    ['mismatch', 'map.legend.mismatch'],
  ]
  return h(
    'ul',
    { class: 'legend' },
    entries.map(([colour, key]) =>
      h(
        'li',
        {},
        h('span', { class: 'swatch', style: `background:${COLOURS[colour]}` }),
        t(key, { limit: metres(config.mismatch_metres) }),
      ),
    ),
  )
}

function draw(layer, data) {
  const points = []
  const stops = new Map(data.stops.map((s) => [s.id, s]))
  for (const stop of data.stops) {
    if (stop.lat === null) continue
    points.push([stop.lat, stop.lon])
    stopDot(layer, stop, { postman: stop.postman })
  }
  for (const proof of data.proofs) {
    if (proof.lat === null) continue
    points.push([proof.lat, proof.lon])
    const colour = proof.mismatch
      ? COLOURS.mismatch
      : COLOURS[proof.outcome === 'failed' ? 'failed_attempt' : 'delivered']
    dot(layer, proof.lat, proof.lon, {
      colour,
      radius: proof.mismatch ? 7 : 5,
      label: `${proof.item_code}: ${label('outcome', proof.outcome)} ${time(proof.server_time)}${proof.distance_m !== null ? ` · ${metres(proof.distance_m)}` : ''}`,
      onClick: () => openProof(proof.id),
    })
    const stop = stops.get(proof.item_id)
    if (proof.mismatch && stop && stop.lat !== null)
      line(layer, [stop.lat, stop.lon], [proof.lat, proof.lon], COLOURS.mismatch)
  }
  return points
}

function describe(data) {
  const far = data.proofs.filter((p) => p.mismatch)
  const unplaced = data.stops.filter((s) => s.lat === null)
  return [
    h(
      'h2',
      { id: 'map-list-title' },
      t('map.summary', { stops: data.stops.length, proofs: data.proofs.length }),
    ),
    far.length
      ? h(
          'ul',
          { class: 'plain', id: 'mismatch-list' },
          far.map((p) =>
            h(
              'li',
              { 'data-item-code': p.item_code },
              h('span', { class: 'badge badge-location_mismatch' }, t('map.far')),
              ' ',
              h('strong', {}, p.item_code),
              ` — ${metres(p.distance_m)} ${t('map.fromAddress')} `,
              h(
                'button',
                { type: 'button', class: 'link', onclick: () => openProof(p.id) },
                t('exc.openProof'),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('map.noMismatch')),
    unplaced.length
      ? h('p', { class: 'muted' }, t('map.unplaced', { codes: unplaced.map((s) => s.code).join(', ') }))
      : null,
  ]
}
