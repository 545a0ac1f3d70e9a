// Files the API returns (PDF, CSV, XLSX) arrive through fetch (they need the token), so they are
// handed to the browser as blob: links.
import * as api from './api.js'
import { h } from '@common/dom.js'

/** Fetch a file and return a link that downloads it (and the object URL to open it). */
export async function fileLink(path, query, text, fallbackName) {
  const { blob, name } = await api.blob(path, query)
  const url = URL.createObjectURL(blob)
  return { url, link: h('a', { href: url, download: name || fallbackName, class: 'button' }, text) }
}

/** Fetch a file (POSTing `body` when given) and show it in a new tab, e.g. a PDF to print. */
export async function openFile(path, query, body) {
  const { blob } = await api.blob(path, query, body)
  const url = URL.createObjectURL(blob)
  window.open(url, '_blank', 'noopener')
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
