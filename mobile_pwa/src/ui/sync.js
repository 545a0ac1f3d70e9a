// The outbox and its health: what waits to be sent, what the server rejected or flagged (with the
// reason and what to do), the last sync, storage, language and sign-out.
import { APP_VERSION } from '../api.js'
import { logout } from '../auth.js'
import { UserError } from '../errors.js'
import { on } from '../events.js'
import { lang, reasonText, setLang, t } from '../i18n.js'
import { startCorrection } from '../corrections.js'
import { OPEN, syncView } from '../queries.js'
import { askPersistentStorage, db, storageInfo } from '../store.js'
import { refreshSyncState, snapshot, syncNow } from '../sync/scheduler.js'
import { h, replace } from '@common/dom.js'
import { shortDateTime } from '@common/format.js'
import { toast } from './toast.js'

const MB = 1024 * 1024

export function syncErrorText(error) {
  if (!error) return ''
  if (error === 'network') return t('sync.error.network')
  if (error === 'offline') return '' // the line above already says so
  if (error === 'update-needed') return t('sync.updateNeeded')
  if (error === 'server:database-unavailable') return t('sync.error.unavailable')
  if (error.startsWith('server:')) return t('sync.error.server', { kind: error.slice(7) })
  if (error.startsWith('stuck:')) return t('sync.error.stuck', { kind: error.slice(6) })
  if (error === 'session-expired' || error === 'device-revoked') return ''
  return t('sync.error.internal')
}

function itemLabel(byId, itemId) {
  const item = byId.get(itemId)
  return item ? `${item.recipient_name} · ${item.code}` : itemId != null ? `#${itemId}` : ''
}

/** What a queued or rejected piece of work is: a proof's event, the day's cash handover, a file. */
function workLabel(type) {
  if (type === 'cash_handover' || type === 'handover') return t(`kind.${type}`)
  return t(type ? `event.${type}` : 'kind.file')
}

function whatToDo(entry) {
  if (entry.kind === 'flag') return t('attn.flagWhat')
  if (entry.kind === 'file') return t('attn.fileWhat')
  return t('attn.rejectWhat')
}

/** A rejected capture whose item can still be worked: open it again, corrected, as a new mutation. */
function correctable(entry, byId) {
  return (
    entry.kind === 'rejected' &&
    ['deliver', 'collect', 'fail'].includes(entry.type) &&
    OPEN.has(byId.get(entry.item_id)?.status)
  )
}

export async function syncScreen() {
  const section = h('section', { class: 'screen sync' })
  async function draw() {
    const [snap, view, storage] = await Promise.all([snapshot(), syncView(), storageInfo()])
    const button = h(
      'button',
      {
        'type': 'button',
        'class': 'btn btn-primary btn-block',
        'data-action': 'sync-now',
        'disabled': snap.running || !snap.online || Boolean(snap.needsLogin),
        'onclick': async () => {
          button.disabled = true
          button.textContent = t('sync.running')
          await syncNow()
        },
      },
      snap.running ? t('sync.running') : t('sync.now'),
    )
    replace(
      section,
      h('h1', { id: 'screen-title', tabindex: '-1' }, t('sync.title')),
      h(
        'div',
        {
          'class': 'card status',
          'id': 'sync-status',
          'data-pending': snap.pending,
          'data-attention': snap.attention,
        },
        h('p', { class: 'big' }, snap.pending ? t('sync.pending', { n: snap.pending }) : t('sync.allSent')),
        h('p', null, snap.online ? t('sync.online') : t('sync.offline')),
        h(
          'p',
          null,
          snap.lastSync ? t('sync.last', { time: shortDateTime(snap.lastSync) }) : t('sync.never'),
        ),
        snap.error && syncErrorText(snap.error) ? h('p', { class: 'warn' }, syncErrorText(snap.error)) : null,
        snap.pending && snap.nextAt && !snap.running
          ? h('p', { class: 'hint' }, t('sync.next', { time: shortDateTime(snap.nextAt) }))
          : null,
        snap.needsLogin
          ? h('a', { class: 'btn btn-primary btn-block', href: '#/login' }, t('login.again'))
          : button,
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('sync.attention')),
        view.attention.length
          ? h(
              'ul',
              { class: 'attention' },
              view.attention.map((entry) =>
                h(
                  'li',
                  {
                    'data-kind': entry.kind,
                    'data-reason': entry.reason,
                  },
                  h('strong', null, workLabel(entry.type)),
                  ` · ${itemLabel(view.byId, entry.item_id)}`,
                  h('p', { class: 'warn' }, reasonText(entry.reason)),
                  entry.detail ? h('p', { class: 'hint' }, entry.detail) : null,
                  h('p', null, t('attn.what', { what: whatToDo(entry) })),
                  correctable(entry, view.byId)
                    ? h(
                        'button',
                        {
                          'type': 'button',
                          'class': 'btn btn-primary btn-small',
                          'data-action': 'correct',
                          'onclick': () => startCorrection(entry, { attention: entry.id }),
                        },
                        t('correct.resend'),
                      )
                    : null,
                  h(
                    'button',
                    {
                      'type': 'button',
                      'class': 'btn btn-secondary btn-small',
                      'data-action': 'dismiss',
                      'onclick': async () => {
                        // The server keeps its own record of the rejected or flagged work; this only tidies the list.
                        await (await db()).delete('attention', entry.id)
                        refreshSyncState()
                      },
                    },
                    t('attn.dismiss'),
                  ),
                ),
              ),
            )
          : h('p', null, t('sync.attentionNone')),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('sync.queue')),
        view.outbox.length
          ? h(
              'ol',
              { class: 'queue' },
              view.outbox.map((entry) =>
                h(
                  'li',
                  { 'data-seq': entry.seq },
                  h('strong', null, workLabel(entry.type)),
                  ` · ${itemLabel(view.byId, entry.item_id)} · ${shortDateTime(entry.created_at)}`,
                  entry.tries ? ` · ${t('sync.tries', { n: entry.tries })}` : '',
                ),
              ),
            )
          : h('p', null, t('sync.queueNone')),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('storage.title')),
        h('p', null, storage.persisted ? t('storage.persisted') : t('storage.notPersisted')),
        storage.quota
          ? h(
              'p',
              { class: 'hint' },
              t('storage.usage', {
                used: `${(storage.usage / MB).toFixed(1)} MB`,
                quota: `${Math.round(storage.quota / MB)} MB`,
              }),
            )
          : null,
        storage.persisted
          ? null
          : h(
              'button',
              {
                type: 'button',
                class: 'btn btn-secondary',
                onclick: async () => {
                  await askPersistentStorage()
                  draw()
                },
              },
              t('storage.ask'),
            ),
      ),
      h(
        'div',
        { class: 'row' },
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-secondary',
            lang: lang() === 'vi' ? 'en' : 'vi',
            onclick: () => {
              setLang(lang() === 'vi' ? 'en' : 'vi')
              dispatchEvent(new HashChangeEvent('hashchange'))
            },
          },
          t('lang.switch'),
        ),
        h(
          'button',
          {
            'type': 'button',
            'class': 'btn btn-secondary',
            'data-action': 'logout',
            'onclick': async () => {
              try {
                await logout()
                location.hash = '#/login'
              } catch (error) {
                toast(error instanceof UserError ? t(error.key) : String(error), 'warn')
              }
            },
          },
          t('logout'),
        ),
      ),
      h('p', { class: 'hint' }, t('app.version', { version: APP_VERSION })),
    )
  }
  await draw()
  const off = on('sync', () => draw())
  return { node: section, title: t('sync.title'), cleanup: off }
}
