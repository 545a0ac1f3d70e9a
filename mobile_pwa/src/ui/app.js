// The shell: a header with the sync indicator and the language switch, banners (session expired,
// work unsynced too long, update needed), and a #hash router over the screens.
import { on } from '../events.js'
import { lang, setLang, t } from '../i18n.js'
import { getSession } from '../session.js'
import { STALE_MS, refreshSyncState } from '../sync/scheduler.js'
import { h, replace } from '@common/dom.js'
import { shortDateTime } from '@common/format.js'
import { endOfDayScreen } from './endofday.js'
import { captureScreen, itemScreen } from './item.js'
import { loginScreen } from './login.js'
import { mapScreen } from './map.js'
import { roundScreen } from './round.js'
import { syncErrorText, syncScreen } from './sync.js'

const ROUTES = [
  [/^$/, () => roundScreen()],
  [/^item\/(\d+)$/, (m) => itemScreen(Number(m[1]))],
  [/^item\/(\d+)\/(deliver|collect|fail)$/, (m) => captureScreen(Number(m[1]), m[2])],
  [/^map\/(\d+)$/, (m) => mapScreen(Number(m[1]))],
  [/^sync$/, () => syncScreen()],
  [/^day$/, () => endOfDayScreen()],
  // A chunk of its own (precached like the map's): most days it is not opened.
  [/^handover$/, () => import('./handover.js').then((screen) => screen.handoverScreen())],
  [/^login$/, () => loginScreen()],
]

let cleanup = null
let renderToken = 0
let lastSnap = null
let firstRender = true
let capturing = false // a capture form is open
let shownUrl = location.href // the address of what is on screen

function indicator(snap) {
  const pending = snap?.pending ?? 0
  const attention = snap?.attention ?? 0
  const state = snap?.needsLogin
    ? 'auth'
    : snap?.running
      ? 'running'
      : !snap?.online
        ? 'offline'
        : pending
          ? 'pending'
          : 'ok'
  const icon = { auth: '⚠', running: '⟳', offline: '⊘', pending: '↑', ok: '✓' }[state]
  return h(
    'a',
    {
      'href': '#/sync',
      'id': 'sync-indicator',
      'class': `sync-ind ind-${state}`,
      'data-state': state,
      'data-pending': pending,
      'data-attention': attention,
      'aria-label': `${t('sync.indicator', { n: pending, a: attention })}. ${
        snap?.lastSync ? t('sync.last', { time: shortDateTime(snap.lastSync) }) : t('sync.never')
      }`,
    },
    h('span', { 'aria-hidden': 'true' }, icon),
    ' ',
    h('span', { 'aria-hidden': 'true' }, pending ? String(pending) : t('sync.allSent')),
    attention ? h('span', { 'class': 'badge', 'aria-hidden': 'true' }, `!${attention}`) : null,
  )
}

function renderBar(session) {
  const bar = document.getElementById('bar')
  replace(
    bar,
    h('a', { href: '#/', class: 'brand' }, t('app.name')),
    session ? indicator(lastSnap) : null,
    // Not while a form is being filled in: switching re-renders the screen.
    capturing
      ? null
      : h(
          'button',
          {
            'type': 'button',
            'class': 'lang',
            'lang': lang() === 'vi' ? 'en' : 'vi',
            'aria-label': t('lang.switchLabel'),
            'onclick': () => {
              setLang(lang() === 'vi' ? 'en' : 'vi')
              render()
            },
          },
          lang() === 'vi' ? 'EN' : 'VI',
        ),
  )
}

function renderBanners(snap) {
  const banners = document.getElementById('banners')
  const list = []
  if (snap?.needsLogin) {
    list.push(
      h(
        'div',
        { 'class': 'banner banner-auth', 'role': 'alert', 'data-banner': 'auth' },
        h(
          'p',
          null,
          snap.needsLogin === 'device-revoked'
            ? t('login.revoked')
            : t('sync.needsLogin', { n: snap.pending }),
        ),
        snap.needsLogin === 'device-revoked'
          ? null
          : h('a', { class: 'btn btn-primary', href: '#/login' }, t('login.again')),
      ),
    )
  } else if (snap?.error === 'update-needed') {
    list.push(
      h(
        'div',
        { 'class': 'banner', 'role': 'alert', 'data-banner': 'update' },
        h('p', null, syncErrorText(snap.error)),
      ),
    )
  }
  if (snap?.oldest != null && Date.now() - snap.oldest > STALE_MS) {
    list.push(
      h(
        'div',
        { 'class': 'banner banner-warn', 'role': 'alert', 'data-banner': 'stale' },
        h('p', null, t('sync.stale')),
        h('p', { class: 'hint' }, shortDateTime(snap.oldest)),
      ),
    )
  }
  replace(banners, list)
}

// What the pulls changed in today's round since the postman last said "understood".
let roundChanges = []

function renderNotices() {
  const box = document.getElementById('notices')
  if (!box) return
  replace(
    box,
    roundChanges.length
      ? h(
          'div',
          { 'class': 'notice', 'data-notice': 'round-changed' },
          h('p', { class: 'notice-title' }, t('change.title', { n: roundChanges.length })),
          h(
            'ul',
            null,
            roundChanges.map((change) =>
              h(
                'li',
                { 'data-change': change.kind, 'data-item-id': change.id },
                change.kind === 'removed'
                  ? t('change.removed', change)
                  : h('a', { href: `#/item/${change.id}` }, t(`change.${change.kind}`, change)),
              ),
            ),
          ),
          h(
            'button',
            {
              'type': 'button',
              'class': 'btn btn-secondary btn-small',
              'data-action': 'dismiss-changes',
              'onclick': () => {
                roundChanges = []
                renderNotices()
              },
            },
            t('change.ok'),
          ),
        )
      : null,
  )
}

export async function render() {
  const token = ++renderToken
  const path = location.hash.replace(/^#\/?/, '')
  const session = await getSession()
  let build = null
  if (!session) build = () => loginScreen()
  else {
    for (const [pattern, screen] of ROUTES) {
      const match = path.match(pattern)
      if (match) build = () => screen(match)
    }
    build ??= () => roundScreen()
  }
  const view = await build()
  if (token !== renderToken) {
    view.cleanup?.()
    return
  }
  cleanup?.()
  cleanup = view.cleanup ?? null
  document.documentElement.lang = lang()
  capturing = /\/(deliver|collect|fail)$|^handover$/.test(path)
  renderBar(session)
  renderBanners(session ? lastSnap : null)
  const main = document.getElementById('main')
  replace(main, view.node)
  document.title = `${view.title} – PostRound`
  if (!firstRender) main.querySelector('#screen-title')?.focus({ preventScroll: false })
  if (!firstRender) window.scrollTo(0, 0)
  firstRender = false
  main.dataset.screen = path.split('/')[0] || 'round'
  shownUrl = location.href
}

/** Leaving a form with something typed in it asks first; staying puts the address back. */
function mayLeave() {
  const screen = document.getElementById('main')?.firstElementChild
  if (!screen?.isDirty?.() || location.href === shownUrl) return true
  screen.flushDraft?.()
  if (confirm(t('draft.leave'))) return true
  history.replaceState(null, '', shownUrl)
  return false
}

export function startApp() {
  addEventListener('hashchange', () => {
    if (mayLeave()) render()
  })
  addEventListener('pagehide', () => document.getElementById('main')?.firstElementChild?.flushDraft?.())
  on('sync', async (snap) => {
    lastSnap = snap
    const session = await getSession()
    const bar = document.getElementById('bar')
    const old = document.getElementById('sync-indicator')
    if (session && old) old.replaceWith(indicator(snap))
    else if (session && bar) renderBar(session)
    renderBanners(session ? snap : null)
  })
  on('round-changed', (changes) => {
    const seen = new Set(changes.map((change) => change.id))
    roundChanges = [...roundChanges.filter((change) => !seen.has(change.id)), ...changes]
    renderNotices()
  })
  on('auth', (change) => {
    if (change.signedIn || change.signedOut) render()
    else refreshSyncState()
  })
  return render()
}
