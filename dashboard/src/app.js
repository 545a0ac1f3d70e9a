// The page frame: sign-in, navigation between views, the language switch.
import * as api from './lib/api.js'
import { problemText } from './lib/problems.js'
import { h, replace } from '@common/dom.js'
import { setZone } from '@common/format.js'
import { lang, onLangChange, setLang, t } from './lib/i18n.js'
import * as session from './lib/session.js'
import * as drafts from './lib/drafts.js'
import { announce } from '@common/dom.js'
import { renderLogin } from './views/login.js'
import { setProofConfig } from './views/proof.js'
import { searchBox } from './views/search.js'
import { routesFor } from './routes.js'

let root
let config = null
let cleanup = null

export function start(element) {
  root = element
  // The session really ended: keep what was being typed, and say why on the sign-in form.
  api.onSignedOut((error) => {
    drafts.keep(error?.reason || 'expired')
    show()
  })
  window.addEventListener('hashchange', () => route())
  onLangChange(() => show())
  show()
}

function stopView() {
  if (cleanup) cleanup()
  cleanup = null
}

async function show() {
  stopView()
  if (!session.mayUse(session.user())) {
    replace(
      root,
      renderLogin({
        ended: drafts.endedBecause(),
        onSignedIn: () => show().then(() => drafts.restore((n) => announce(t('ended.restored', { n })))),
      }),
    )
    return
  }
  try {
    config = await api.get('/api/dashboard/config')
    setZone(config.timezone)
    setProofConfig(config)
  } catch (error) {
    replace(
      root,
      h('main', { id: 'main', class: 'page' }, h('p', { class: 'error', role: 'alert' }, problemText(error))),
    )
    return
  }
  replace(root, frame())
  route()
}

function frame() {
  const user = session.user()
  const nav = h(
    'nav',
    { 'aria-label': t('nav.label') },
    h(
      'ul',
      {},
      routesFor(user)
        .filter((r) => !r.hidden)
        .map((r) => h('li', {}, h('a', { 'href': `#/${r.path}`, 'data-route': r.path }, t(r.title)))),
    ),
  )
  const switchTo = lang() === 'vi' ? 'en' : 'vi'
  return [
    h(
      'header',
      { class: 'top' },
      h('div', { class: 'brand' }, h('strong', {}, 'PostRound'), ' ', h('span', {}, t('app.subtitle'))),
      nav,
      session.audience(user) === 'staff' ? searchBox() : null,
      h(
        'div',
        { class: 'who' },
        h('span', {}, `${user.full_name} (${t(`role.${user.role}`)})`),
        h(
          'button',
          { type: 'button', class: 'link', lang: switchTo, onclick: () => setLang(switchTo) },
          switchTo === 'en' ? 'English' : 'Tiếng Việt',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            onclick: async () => {
              await api.logout()
              show()
            },
          },
          t('app.logout'),
        ),
      ),
    ),
    h('main', { id: 'main', class: 'page', tabindex: '-1' }),
  ]
}

function route() {
  const main = root.querySelector('main')
  if (!main || !config) return
  stopView()
  // #/view, #/view?a=b, or #/view/{id} (an item's page: #/items/12). Only the views of the user's
  // audience (staff, or the agency portal); any other path shows their first view.
  const routes = routesFor(session.user())
  const [path, ...segments] = (location.hash.replace(/^#\/?/, '') || routes[0].path).split('?')[0].split('/')
  const found = routes.find((r) => r.path === path) || routes[0]
  root.querySelectorAll('nav a').forEach((a) => {
    if (a.dataset.route === found.path) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  })
  document.title = `${t(found.title)} — PostRound`
  main.replaceChildren()
  cleanup =
    found.render(main, {
      config,
      segments,
      params: new URLSearchParams(location.hash.split('?')[1] || ''),
    }) || null
}
