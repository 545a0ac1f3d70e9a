// Leaflet with optional tiles: without a tile server (MAP_TILE_URL empty) the markers are drawn on
// a plain background, so the map still works on a closed network.
import L from 'leaflet'
import { label as word, t } from './i18n.js'

export const COLOURS = {
  delivered: '#1b7f3b',
  collected: '#1b7f3b',
  handed_to_agency: '#1b7f3b',
  assigned: '#1f5fbf',
  failed_attempt: '#c77700',
  return_to_agency: '#b3261e',
  returned_to_agency: '#6b6b6b',
  cancelled: '#6b6b6b',
  at_post_office: '#1f5fbf',
  registered: '#1f5fbf',
  mismatch: '#b3261e',
  office: '#111111',
}

export function createMap(element, config, { zoom = 14 } = {}) {
  const map = L.map(element, {
    preferCanvas: false,
    zoomControl: true,
    attributionControl: Boolean(config.map_tile_url),
  })
  if (config.map_tile_url) {
    L.tileLayer(config.map_tile_url, { maxZoom: 19, attribution: config.map_tile_attribution || '' }).addTo(
      map,
    )
  } else {
    element.classList.add('no-tiles')
    const note = L.control({ position: 'bottomleft' })
    note.onAdd = () =>
      Object.assign(document.createElement('div'), { className: 'map-note', textContent: t('map.noTiles') })
    note.addTo(map)
  }
  map.setView([config.post_office.lat, config.post_office.lon], zoom)
  return map
}

/** A map centred on the post office with its marker, and a layer for what the view redraws. */
export function officeMap(element, config) {
  const map = createMap(element, config)
  const layer = L.layerGroup().addTo(map)
  dot(map, config.post_office.lat, config.post_office.lon, {
    colour: COLOURS.office,
    radius: 5,
    label: t('map.office'),
  })
  return { map, layer }
}

/** A round marker with a tooltip; `label` is text (Leaflet escapes nothing, so we pass a DOM node).
 * With `text` (a stop's number, a tick) the marker is a small disc showing it; `data` becomes the
 * marker's `data-*` attributes and `selected` outlines it; `draggable` lets the pointer move it. */
export function dot(
  map,
  lat,
  lon,
  {
    colour,
    radius = 7,
    label,
    dashed = false,
    onClick,
    text = null,
    data = {},
    selected = false,
    draggable = false,
  } = {},
) {
  const marker =
    text === null
      ? L.circleMarker([lat, lon], {
          radius,
          color: colour,
          weight: 2,
          fillColor: colour,
          fillOpacity: dashed ? 0.15 : 0.75,
          dashArray: dashed ? '3 3' : null,
        })
      : L.marker([lat, lon], {
          icon: numbered(text, colour, { data, selected }),
          keyboard: Boolean(onClick),
          draggable,
        })
  marker.addTo(map)
  if (label) {
    const node = document.createElement('span')
    node.textContent = label
    marker.bindTooltip(node)
    marker.getElement?.()?.setAttribute('aria-label', label)
  }
  if (onClick) marker.on('click', onClick)
  return marker
}

function numbered(text, colour, { data, selected }) {
  const node = document.createElement('span')
  node.className = `map-pin-n${selected ? ' selected' : ''}`
  node.style.background = colour
  node.textContent = text
  Object.assign(node.dataset, data)
  return L.divIcon({ className: 'map-pin', html: node, iconSize: [24, 24], iconAnchor: [12, 12] })
}

/** A stop of a round, coloured by its status (or by `colour`, its round's, when several rounds
 *  share the map); `numbered` writes its place in the round on it. */
export function stopDot(
  map,
  stop,
  { postman = null, numbered = false, colour = null, draggable = false } = {},
) {
  return dot(map, stop.lat, stop.lon, {
    draggable,
    colour: colour || COLOURS[stop.status] || COLOURS.assigned,
    radius: 8,
    dashed: true,
    text: numbered ? String(stop.stop_order ?? '') : null,
    data: { itemId: stop.id, order: stop.stop_order ?? '', roundId: stop.round_id ?? '' },
    label: `${stop.stop_order ?? ''}. ${stop.code} — ${stop.recipient_name} (${word('status', stop.status)}${postman ? `, ${postman}` : ''})`,
  })
}

export function line(map, from, to, colour) {
  return L.polyline([from, to], { color: colour, weight: 2, dashArray: '6 4' }).addTo(map)
}

/** Show all `points`, at once: a fit asked for during a zoom animation would be dropped by Leaflet. */
export function fit(map, points) {
  if (points.length === 1) map.setView(points[0], 16, { animate: false })
  else if (points.length > 1)
    map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 17, animate: false })
}

/** Great-circle metres between two points (display only: the server decides mismatches with geopy). */
export function distance(a, b) {
  return Math.round(L.latLng(a).distanceTo(L.latLng(b)))
}
