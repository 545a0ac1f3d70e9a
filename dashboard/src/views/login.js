// Sign-in for supervisors and administrators (postmen use the phone app).
import * as api from '../lib/api.js'
import { problemText } from '../lib/problems.js'
import { h } from '@common/dom.js'
import { lang, setLang, t } from '../lib/i18n.js'
import * as session from '../lib/session.js'

export function renderLogin({ onSignedIn, ended = '' }) {
  const message = h('p', { class: 'error', role: 'alert' })
  // The session ended (not a first visit): why, and that what was being typed is kept.
  const why = ended
    ? h(
        'div',
        { 'class': 'card warn-card', 'role': 'status', 'id': 'login-ended', 'data-reason': ended },
        h('p', {}, t(`ended.${ended}`)),
        h('p', { class: 'small' }, t('ended.kept')),
      )
    : null
  const username = h('input', {
    id: 'login-username',
    name: 'username',
    autocomplete: 'username',
    required: true,
  })
  const password = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  })
  const button = h('button', { type: 'submit', class: 'primary' }, t('login.submit'))
  const switchTo = lang() === 'vi' ? 'en' : 'vi'

  async function submit(event) {
    event.preventDefault()
    message.textContent = ''
    button.disabled = true
    try {
      const tokens = await api.login(username.value.trim(), password.value)
      if (!session.mayUse(tokens.user)) {
        session.save(tokens)
        await api.logout()
        message.textContent = t('login.notStaff')
        return
      }
      session.save(tokens)
      onSignedIn()
    } catch (error) {
      message.textContent = error.status === 401 ? t('login.wrong') : problemText(error)
    } finally {
      button.disabled = false
    }
  }

  return h(
    'main',
    { id: 'main', class: 'login' },
    h(
      'form',
      { 'class': 'card', 'onsubmit': submit, 'aria-labelledby': 'login-title' },
      h('h1', { id: 'login-title' }, t('login.title')),
      why,
      h('p', { class: 'muted' }, t('login.hint')),
      h('div', { class: 'field' }, h('label', { for: 'login-username' }, t('login.username')), username),
      h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('login.password')), password),
      message,
      h(
        'div',
        { class: 'actions' },
        button,
        h(
          'button',
          { type: 'button', class: 'link', lang: switchTo, onclick: () => setLang(switchTo) },
          switchTo === 'en' ? 'English' : 'Tiếng Việt',
        ),
      ),
    ),
  )
}
