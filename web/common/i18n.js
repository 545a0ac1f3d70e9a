// Vietnamese first, English on request; the choice is remembered in this browser (both apps share it).
// The words for the domain's codes (status.*, event.*, direction.*, reason.*, outcome.*) come from
// the generated vocabulary (backend/domain/vocabulary.py), never from an app: an app that defines
// one of those keys itself is refused at start, so every app says the same word for a code.
import { VOCABULARY } from './vocabulary.js'

const STORAGE_KEY = 'postround.lang'
export const LANGUAGES = ['vi', 'en']

function vocabularyStrings(lang) {
  const out = {}
  for (const [family, words] of Object.entries(VOCABULARY)) {
    for (const [code, word] of Object.entries(words[lang])) out[`${family}.${code}`] = word
  }
  return out
}

// Texts every app shows the same way (the sign-in form); an app may add more of its own.
const SHARED = {
  vi: {
    'login.title': 'Đăng nhập',
    'login.username': 'Tên đăng nhập',
    'login.password': 'Mật khẩu',
    'login.submit': 'Đăng nhập',
  },
  en: {
    'login.title': 'Sign in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
  },
}

const strings = {
  vi: { ...SHARED.vi, ...vocabularyStrings('vi') },
  en: { ...SHARED.en, ...vocabularyStrings('en') },
}
const OWNED = new Set(Object.keys(vocabularyStrings('vi')))
const listeners = new Set()

let current = (() => {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'vi'
  } catch {
    return 'vi' // no storage (private mode, tests): Vietnamese
  }
})()
if (typeof document !== 'undefined') document.documentElement.lang = current

/** Add an app's own texts: {vi: {key: text}, en: {key: text}}. The vocabulary's keys are not theirs. */
export function addStrings(dictionaries) {
  const taken = LANGUAGES.flatMap((lang) =>
    Object.keys(dictionaries[lang] ?? {}).filter((key) => OWNED.has(key)),
  )
  if (taken.length)
    throw new Error(`These keys belong to the shared vocabulary: ${[...new Set(taken)].join(', ')}`)
  for (const lang of LANGUAGES) Object.assign(strings[lang], dictionaries[lang])
}

export function lang() {
  return current
}
export { lang as currentLang }

export function setLang(next) {
  current = next === 'en' ? 'en' : 'vi'
  try {
    localStorage.setItem(STORAGE_KEY, current)
  } catch {
    // private mode: the choice lasts for this visit
  }
  if (typeof document !== 'undefined') document.documentElement.lang = current
  listeners.forEach((callback) => callback(current))
}

export function onLangChange(callback) {
  listeners.add(callback)
  return () => listeners.delete(callback)
}

export function has(key) {
  return strings[current][key] !== undefined || strings.vi[key] !== undefined
}

/** t('round.total', {d: '5,4 km', n: 5}) fills {d} and {n}; an unknown key shows itself (easy to spot). */
export function t(key, params = {}) {
  const text = strings[current][key] ?? strings.vi[key] ?? key
  return text.replace(/\{(\w+)\}/g, (_, name) => params[name] ?? `{${name}}`)
}

/** The word for a code of a family (label('status', 'assigned')); an unknown code shows itself. */
export function label(family, code) {
  const key = `${family}.${code}`
  return strings[current][key] ?? strings.vi[key] ?? String(code ?? '—')
}
