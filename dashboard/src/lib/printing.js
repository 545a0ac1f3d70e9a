// Printing a round's papers (run sheet, labels) or labels for chosen items: the PDF is fetched with
// the tab's session in the reader's language and opened in a new tab to print. Used by the planning
// page and the Today page.
import { h } from '@common/dom.js'
import { openFile } from './download.js'
import { lang, t } from './i18n.js'
import { problemText } from './problems.js'

/** Open a printable PDF in the reader's language; a refusal is passed to `onError` as a sentence. */
export function print(path, body, onError) {
  return openFile(path, { lang: lang() }, body).catch((error) => onError(problemText(error)))
}

/** The two buttons that print a round's run sheet and its items' labels. */
export function roundPrintButtons(r, onError) {
  const button = (kind, text, labelKey, path) =>
    h(
      'button',
      {
        'type': 'button',
        'class': `print-${kind}`,
        'disabled': !r.stop_count,
        'aria-label': t(labelKey, { id: r.id }),
        'onclick': () => print(path, undefined, onError),
      },
      t(text),
    )
  return [
    button('run-sheet', 'plan.printRunSheet', 'plan.printRunSheetOf', `/api/rounds/${r.id}/run-sheet.pdf`),
    button('labels', 'plan.printLabels', 'plan.printLabelsOf', `/api/rounds/${r.id}/labels.pdf`),
  ]
}
