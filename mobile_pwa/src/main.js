// Boot: styles, the service worker, the screens, then sync (which never blocks the first paint).
import '@common/base.css'
import './styles.css'
import { setZone } from '@common/format.js'
import { lang, t } from './i18n.js'
import { db, getMeta } from './store.js'
import { startSync } from './sync/scheduler.js'
import { startApp } from './ui/app.js'
import { toast } from './ui/toast.js'

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return
  const base = import.meta.env.BASE_URL
  if (navigator.serviceWorker.controller) {
    // A new release took over: this page keeps its code; the next start uses the new shell.
    navigator.serviceWorker.addEventListener('controllerchange', () => toast(t('update.ready')), {
      once: true,
    })
  }
  navigator.serviceWorker.register(`${base}sw.js`, { scope: base }).catch((error) => {
    console.warn('service worker not registered', error)
  })
}

async function boot() {
  document.documentElement.lang = lang()
  document.querySelector('.skip').textContent = t('app.skip')
  try {
    await db()
    setZone(await getMeta('timezone')) // as the server said at the last sync
  } catch (error) {
    document.getElementById('main').textContent = t('dbError', { detail: error?.message || String(error) })
    return
  }
  await startApp()
  startSync()
  registerServiceWorker()
}

boot()
