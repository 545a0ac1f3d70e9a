// Sign in (once, online). After an expiry it is "sign in again": the round and the outbox stay.
import { login } from '../auth.js'
import { ApiError, NetworkError } from '../api.js'
import { UserError } from '../errors.js'
import { t } from '../i18n.js'
import { getSession } from '../session.js'
import { db } from '../store.js'
import { h } from '@common/dom.js'
import { problemMessage } from '@common/problems.js'

function message(error) {
  if (error instanceof UserError) return t(error.key, error.params)
  if (error instanceof NetworkError || !navigator.onLine) return t('login.offline')
  if (error instanceof ApiError) {
    if (error.kind === 'invalid-credentials') return t('login.bad')
    if (error.kind === 'account-disabled') return t('login.disabled')
    if (error.kind === 'device-revoked') return t('login.revoked')
    if (error.status === 429) return t('login.tooMany')
    return t('login.failed', { detail: problemMessage(error) })
  }
  return t('login.failed', { detail: problemMessage(error) })
}

export async function loginScreen() {
  const session = await getSession()
  const again = Boolean(session?.needs_login)
  const pending = again ? await (await db()).count('outbox') : 0
  const error = h('p', { class: 'errors', role: 'alert', hidden: true, id: 'login-error' })
  const username = h('input', {
    id: 'username',
    name: 'username',
    autocomplete: 'username',
    autocapitalize: 'none',
    spellcheck: 'false',
    required: true,
    value: session?.username ?? '',
  })
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  })
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'))
  const form = h(
    'form',
    { 'class': 'login', 'novalidate': true, 'aria-describedby': 'login-intro' },
    h('div', { class: 'field' }, h('label', { for: 'username' }, t('login.username')), username),
    h('div', { class: 'field' }, h('label', { for: 'password' }, t('login.password')), password),
    error,
    submit,
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (!username.value.trim() || !password.value) {
      error.textContent = t('field.required', {
        label: !username.value.trim() ? t('login.username') : t('login.password'),
      })
      error.hidden = false
      return
    }
    submit.disabled = true
    submit.textContent = t('login.busy')
    error.hidden = true
    try {
      await login(username.value, password.value)
      location.hash = '#/'
    } catch (failure) {
      error.textContent = message(failure)
      error.hidden = false
      password.select()
    } finally {
      submit.disabled = false
      submit.textContent = t('login.submit')
    }
  })
  const node = h(
    'section',
    { class: 'screen login-screen' },
    h('h1', { id: 'screen-title', tabindex: '-1' }, again ? t('login.again') : t('login.title')),
    h(
      'p',
      { id: 'login-intro', class: 'sub' },
      again ? t('login.againIntro', { n: pending }) : t('login.intro'),
    ),
    form,
    again ? h('p', null, h('a', { href: '#/', class: 'back' }, `‹ ${t('common.back')}`)) : null,
  )
  return { node, title: again ? t('login.again') : t('login.title'), focus: again ? password : username }
}
