// Vietnamese first, English on request; the choice is remembered in this browser.
import { STRINGS } from '../strings.js';

const KEY = 'postround.lang';
let current = localStorage.getItem(KEY) === 'en' ? 'en' : 'vi';
const listeners = new Set();

export function lang() { return current; }

export function setLang(next) {
  current = next === 'en' ? 'en' : 'vi';
  localStorage.setItem(KEY, current);
  document.documentElement.lang = current;
  listeners.forEach((callback) => callback(current));
}

export function onLangChange(callback) { listeners.add(callback); }

/** t('today.title'), t('rounds.stops', {n: 3}); an unknown key shows itself (easy to spot). */
export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? `{${name}}`));
}

/** A label from a family of keys when it exists, else the raw value (e.g. an unknown status). */
export function label(family, value) {
  const key = `${family}.${value}`;
  return STRINGS[current][key] ?? STRINGS.vi[key] ?? String(value ?? '—');
}

document.documentElement.lang = current;
