// Leaflet with optional tiles: without a tile server (MAP_TILE_URL empty) the markers are drawn on
// a plain background, so the map still works on a closed network.
import L from 'leaflet'
import { t } from './i18n.js'

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

/** A round marker with a tooltip; `label` is text (Leaflet escapes nothing, so we pass a DOM node). */
export function dot(map, lat, lon, { colour, radius = 7, label, dashed = false, onClick } = {}) {
  const marker = L.circleMarker([lat, lon], {
    radius,
    color: colour,
    weight: 2,
    fillColor: colour,
    fillOpacity: dashed ? 0.15 : 0.75,
    dashArray: dashed ? '3 3' : null,
  }).addTo(map)
  if (label) {
    const node = document.createElement('span')
    node.textContent = label
    marker.bindTooltip(node)
  }
  if (onClick) marker.on('click', onClick)
  return marker
}

export function line(map, from, to, colour) {
  return L.polyline([from, to], { color: colour, weight: 2, dashArray: '6 4' }).addTo(map)
}

export function fit(map, points) {
  if (points.length === 1) map.setView(points[0], 16)
  else if (points.length > 1) map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 17 })
}

/** Great-circle metres between two points (display only: the server decides mismatches with geopy). */
export function distance(a, b) {
  return Math.round(L.latLng(a).distanceTo(L.latLng(b)))
}
