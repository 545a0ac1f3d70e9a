// API keys (#/keys, administrators only): the agency systems' machine credentials. List them (with
// when each was last used), make one for an agency (its secret is shown this once: only a hash is
// kept) and revoke one (refused from its next request on). GET/POST /api/api-keys, POST …/revoke.
import * as api from '../lib/api.js'
import { announce, h, replace } from '@common/dom.js'
import { dateTime } from '@common/format.js'
import { selectField } from '../lib/fields.js'
import { t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'

export function renderKeys(main) {
  const message = h('div', { class: 'messages', id: 'keys-messages' })
  const shown = h('div', { id: 'key-shown' })
  const list = h('section', { 'aria-labelledby': 'keys-list-title' })
  const form = h('div', {})
  const say = (node) => replace(message, node)

  async function load() {
    try {
      const keys = await api.get('/api/api-keys')
      replace(list, h('h2', { id: 'keys-list-title' }, t('keys.list')), table(keys))
    } catch (error) {
      say(h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  function table(keys) {
    if (!keys.length) return h('p', { class: 'empty' }, t('keys.none'))
    return h(
      'table',
      { class: 'grid', id: 'keys-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['keys.prefix', 'keys.name', 'keys.agency', 'keys.created', 'keys.lastUsed', 'keys.state', ''].map(
            (k) => h('th', { scope: 'col' }, k ? t(k) : ''),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        keys.map((k) =>
          h(
            'tr',
            { 'data-key-id': k.id },
            h('td', { class: 'code' }, `prk_${k.prefix}_…`),
            h('td', {}, k.name),
            h('td', {}, k.agency.name),
            h('td', {}, dateTime(k.created_at)),
            h(
              'td',
              { 'data-field': 'last-used' },
              k.last_used_at ? dateTime(k.last_used_at) : t('keys.never'),
            ),
            h(
              'td',
              {},
              k.revoked_at ? t('keys.revokedAt', { when: dateTime(k.revoked_at) }) : t('keys.active'),
            ),
            h(
              'td',
              {},
              k.revoked_at
                ? null
                : h(
                    'button',
                    { 'type': 'button', 'data-revoke': k.id, 'onclick': () => revoke(k) },
                    t('keys.revoke'),
                  ),
            ),
          ),
        ),
      ),
    )
  }

  async function revoke(k) {
    if (!window.confirm(t('keys.revokeConfirm', { name: k.name }))) return
    try {
      await api.post(`/api/api-keys/${k.id}/revoke`, {})
      const text = t('keys.revoked', { name: k.name })
      say(h('p', { class: 'ok', role: 'status', id: 'key-revoked' }, text))
      announce(text)
      load()
    } catch (error) {
      say(h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  async function drawForm() {
    try {
      const agencies = await api.get('/api/agencies')
      const agency = selectField(
        t('keys.agency'),
        'agency',
        agencies.map((a) => ({ value: a.id, label: a.name })),
        { required: true },
      )
      const name = h('input', { id: 'key-name', required: true, maxlength: 100 })
      replace(
        form,
        h(
          'form',
          {
            'class': 'card',
            'aria-labelledby': 'key-new-title',
            'onsubmit': async (event) => {
              event.preventDefault()
              try {
                const made = await api.post('/api/api-keys', {
                  agency_id: Number(agency.input.value),
                  name: name.value.trim(),
                })
                name.value = ''
                // The secret, this once: the server keeps only its hash.
                replace(
                  shown,
                  h(
                    'div',
                    { class: 'card', role: 'status' },
                    h('p', { class: 'ok' }, t('keys.made', { name: made.name })),
                    h('p', {}, t('keys.onceOnly')),
                    h('code', { id: 'key-secret', class: 'secret' }, made.key),
                  ),
                )
                announce(t('keys.made', { name: made.name }))
                load()
              } catch (error) {
                say(h('p', { class: 'error', role: 'alert' }, problemText(error)))
              }
            },
          },
          h('h2', { id: 'key-new-title' }, t('keys.new')),
          h(
            'div',
            { class: 'inline-form' },
            agency.field,
            h('div', { class: 'field' }, h('label', { for: 'key-name' }, t('keys.name')), name),
          ),
          h('button', { type: 'submit', class: 'primary', id: 'key-create' }, t('keys.create')),
        ),
      )
    } catch (error) {
      say(h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  replace(main, h('div', { class: 'page-head' }, h('h1', {}, t('keys.title'))), message, shown, form, list)
  drawForm()
  load()
  return null
}
