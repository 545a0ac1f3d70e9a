// The round on a map: the stops in route order (numbered, with the route line from the post office
// and back), the postman's position, tiles when online. Leaflet is loaded only here.
import { t } from '../i18n.js'
import { roundView, rounds } from '../queries.js'
import { db } from '../store.js'
import { h } from '@common/dom.js'

export async function mapScreen(roundId) {
  const round = (await rounds()).find((r) => r.id === roundId) ?? null
  const view = await roundView(round)
  const tiles = (await (await db()).get('meta', 'map')) ?? null
  const placed = view.items.filter((item) => item.lat != null && item.lon != null)
  const unplaced = view.items.length - placed.length
  const status = h('p', { 'class': 'hint', 'role': 'status', 'data-map-status': '' }, t('map.loading'))
  const canvas = h('div', {
    'class': 'round-map',
    'id': 'round-map',
    'role': 'region',
    'aria-label': t('map.title'),
  })
  const section = h(
    'section',
    { class: 'screen map' },
    h('a', { class: 'back', href: '#/' }, `← ${t('common.back')}`),
    h('h1', { id: 'screen-title', tabindex: '-1' }, t('map.title')),
    canvas,
    status,
    unplaced
      ? h('p', { 'class': 'warn', 'data-unplaced': unplaced }, t('map.unplaced', { n: unplaced }))
      : null,
  )
  let drawn = null
  let watch = null
  let left = false
  const stops = placed.map((item) => ({
    id: item.id,
    order: item.stop_order ?? '–',
    status: item.status,
    lat: item.lat,
    lon: item.lon,
    label: `${t('stop.order', { n: item.stop_order ?? '–' })}: ${item.recipient_name} (${t(`status.${item.status}`)})`,
  }))
  import('../roundmap.js')
    .then(async ({ drawRound }) => {
      while (!section.isConnected && !left) await new Promise((next) => requestAnimationFrame(next))
      if (left) return
      drawn = drawRound(canvas, {
        stops,
        office: round?.office,
        tiles,
        texts: { office: round?.office?.name ?? t('map.office'), you: t('map.you') },
        onStop: (id) => (location.hash = `#/item/${id}`),
      })
      status.textContent = canvas.dataset.tiles === 'on' ? '' : t('map.noTiles')
      watch = navigator.geolocation?.watchPosition(
        (fix) => drawn?.showPosition(fix.coords.latitude, fix.coords.longitude, fix.coords.accuracy),
        () => {},
        { enableHighAccuracy: true, maximumAge: 10_000 },
      )
    })
    .catch((error) => {
      console.error('map', error)
      status.textContent = t('map.failed')
    })
  const cleanup = () => {
    left = true
    if (watch != null) navigator.geolocation.clearWatch(watch)
    drawn?.remove()
  }
  return { node: section, title: t('map.title'), cleanup }
}
