// The round drawn with Leaflet (a chunk of its own, loaded when the map screen opens and precached
// by the service worker, so it draws offline). Tiles only when a tile server is configured and the
// phone is online; the numbered stops, the route line, the post office and the postman's position
// are drawn either way.
import L from 'leaflet'
import 'leaflet/dist/leaflet.css'

const STATE = { delivered: 'done', collected: 'done', handed_to_agency: 'done', failed_attempt: 'failed' }

function numbered(className, text) {
  const node = document.createElement('span')
  node.className = 'map-pin-n'
  node.textContent = text
  return L.divIcon({ className, html: node, iconSize: [30, 30], iconAnchor: [15, 15] })
}

/** Draws the round in `element`; returns {map, showPosition(lat, lon, accuracy), remove()}. */
export function drawRound(element, { stops, office, tiles, texts, onStop }) {
  const online = navigator.onLine
  const map = L.map(element, { zoomControl: true, attributionControl: Boolean(tiles?.tile_url && online) })
  element.dataset.tiles = tiles?.tile_url && online ? 'on' : 'off'
  if (tiles?.tile_url && online) {
    L.tileLayer(tiles.tile_url, { maxZoom: 19, attribution: tiles.attribution || '' }).addTo(map)
  }
  const start = office && office.lat != null && office.lon != null ? [office.lat, office.lon] : null
  // The view first: Leaflet draws no layer on a map without one.
  const points = [...(start ? [start] : []), ...stops.map((stop) => [stop.lat, stop.lon])]
  if (points.length > 1) map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 17 })
  else if (points.length) map.setView(points[0], 16)
  else map.setView([16, 107], 5) // Vietnam
  if (start) {
    const pin = L.marker(start, {
      icon: numbered('map-pin map-office', '⌂'),
      keyboard: false,
      title: texts.office,
    }).addTo(map)
    pin.getElement()?.setAttribute('data-office', '')
  }
  const route = [...(start ? [start] : [])]
  for (const stop of stops) {
    const at = [stop.lat, stop.lon]
    const marker = L.marker(at, {
      icon: numbered(`map-pin stop-pin pin-${STATE[stop.status] ?? 'open'}`, String(stop.order)),
      title: stop.label,
      alt: stop.label,
    }).addTo(map)
    const pin = marker.getElement()
    pin.dataset.itemId = stop.id
    pin.dataset.order = stop.order
    pin.setAttribute('aria-label', stop.label)
    pin.setAttribute('role', 'link')
    marker.on('click', () => onStop(stop.id))
    route.push(at)
  }
  if (start && route.length > 1) route.push(start) // the round ends at the office
  if (route.length > 1) L.polyline(route, { className: 'route-line', color: '#00468a', weight: 3 }).addTo(map)
  let you = null
  return {
    map,
    showPosition(lat, lon, accuracy) {
      if (!you) {
        you = L.circleMarker([lat, lon], {
          className: 'you-marker',
          radius: 9,
          color: '#fff',
          weight: 3,
          fillColor: '#d4006a',
          fillOpacity: 1,
        })
          .bindTooltip(texts.you)
          .addTo(map)
      } else you.setLatLng([lat, lon])
      element.dataset.position = `${lat},${lon}`
      element.dataset.accuracy = Math.round(accuracy)
    },
    remove: () => map.remove(),
  }
}
