// The frame every capture screen shares: the item's heading, the fields, the GPS line, one Save
// button. Save checks the fields, writes everything in one transaction (outbox.capture) and only
// then says "saved". On any error the form stays filled in.
import { UserError } from '../errors.js'
import { t } from '../i18n.js'
import { captureAll } from '../outbox.js'
import { db } from '../store.js'
import { nextOpenStop } from '../queries.js'
import { h } from '@common/dom.js'
import { problemMessage } from '@common/problems.js'
import { errorSummary, gpsField } from './fields.js'
import { toast } from './toast.js'

/**
/**
 * @param {object} spec {type, item, title, saveLabel, fields, prepare: async () => ({errors} | work), keep}
 *   `fields` are the form's fields (what fields.js makes, shown as their `element`) or plain elements.
 *   `title` and `saveLabel` default to the strings `<type>.title` and `<type>.save`.
 *   `prepare` returns {errors: [...]} or {data, files, summary, more}; it gets the GPS data to merge. The
 *   summaries the screens show later get the position's accuracy here, for every kind of capture.
 *   `more`: [{itemId, data, summary}] saved in the same transaction with the same files (one door).
 *   `keep`: {name: field with state() / restore()} for what is not a plain input (photos, signatures).
 */
export function captureForm({
  type,
  item,
  title = t(`${type}.title`),
  saveLabel = t(`${type}.save`),
  fields,
  prepare,
  keep = {},
}) {
  const gps = gpsField()
  const errors = errorSummary()
  const save = h(
    'button',
    { 'type': 'submit', 'class': 'btn btn-primary btn-block', 'data-action': 'save' },
    saveLabel,
  )
  let confirmedNoGps = false
  const form = h(
    'form',
    { 'class': `capture capture-${type}`, 'novalidate': true, 'aria-labelledby': 'screen-title' },
    errors.element,
    // A field with nothing to show (`element: null`, e.g. no other item at this door) shows nothing.
    fields.map((field) => (field && 'element' in field ? field.element : field)),
    gps.element,
    save,
  )

  const draft = formDraft(form, `${item.id}/${type}`, keep)
  form.addEventListener('keydown', nextOnEnter)

  onSave({ form, save, saveLabel, errors, draft }, async () => {
    await gps.settle()
    const position = gps.data()
    const work = await prepare(position)
    if (work.errors?.length) return { errors: work.errors, title: t('save.errors') }
    if (!gps.fix && !confirmedNoGps) {
      confirmedNoGps = true // a second tap saves without a position: never block a delivery
      return { errors: [t('gps.confirm')] }
    }
    errors.clear()
    const first = { itemId: item.id, data: work.data, summary: work.summary }
    draft.stop()
    await captureAll(
      [first, ...(work.more ?? [])].map((one) => ({
        type,
        files: work.files,
        ...one,
        summary: { ...one.summary, accuracy_m: position.accuracy_m },
      })),
      { draft: draft.key, fixes: draft.fixes },
    )
    form.dataset.state = 'saved'
    const next = await nextOpenStop(item.id)
    toast(next ? t('save.okNext', { name: next.recipient_name }) : t('save.ok'))
    swallowTaps()
    location.hash = next ? `#/item/${next.id}` : '#/'
    return {}
  })

  const screen = h(
    'section',
    { class: 'screen' },
    h('a', { href: `#/item/${item.id}`, class: 'back' }, `‹ ${t('common.back')}`),
    h('h1', { id: 'screen-title', tabindex: '-1' }, title),
    h('p', { class: 'sub' }, `${item.recipient_name} · ${item.code}`),
    draft.note,
    form,
  )
  // The shell asks before leaving a form with something typed in it (the draft stays either way).
  screen.isDirty = () => draft.dirty && form.dataset.state !== 'saved'
  screen.flushDraft = () => draft.flush()
  return screen
}

/**
 * A capture form's Save: one at a time (a double tap saves once, a saved form ignores Save), the
 * button busy meanwhile, `data-state` and `data-attempts` on the form for the tests. `run` checks
 * and saves: it returns `{errors, title}` to show, or `{}` once saved (it sets `saved` itself);
 * on an exception the form stays filled in and its draft is written again.
 */
export function onSave({ form, save, saveLabel, errors, draft }, run) {
  let busy = false
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (busy || form.dataset.state === 'saved') return
    busy = true
    form.dataset.state = 'saving'
    form.dataset.attempts = String(Number(form.dataset.attempts ?? 0) + 1)
    save.disabled = true
    save.textContent = t('save.busy')
    try {
      const refused = await run()
      if (refused.errors?.length) {
        form.dataset.state = 'error'
        errors.show(refused.errors, refused.title)
      }
    } catch (error) {
      draft.start()
      form.dataset.state = 'error'
      errors.show([
        error instanceof UserError
          ? t(error.key, error.params)
          : t('save.failed', { detail: problemMessage(error) }),
      ])
    } finally {
      busy = false
      save.disabled = false
      save.textContent = saveLabel
    }
  })
}

/** What the form holds: every named input, and the photos and signatures of `keep`. */
/** The form's inputs with a key that stays the same when the form is built again. */
function keyed(form) {
  const seen = new Map()
  return [...form.querySelectorAll('input[name], textarea[name], select[name]')]
    .filter((input) => input.type !== 'file')
    .map((input) => {
      const base = input.type === 'radio' ? `${input.name}=${input.value}` : input.name
      const n = seen.get(base) ?? 0
      seen.set(base, n + 1)
      return [`${base}#${n}`, input]
    })
}

const TICK = new Set(['radio', 'checkbox'])

function snapshot(form, keep) {
  const values = {}
  for (const [key, input] of keyed(form)) values[key] = TICK.has(input.type) ? input.checked : input.value
  const parts = Object.fromEntries(Object.entries(keep).map(([name, field]) => [name, field.state()]))
  return { values, parts }
}

function restoreSnapshot(form, keep, { values, parts }) {
  const inputs = keyed(form).filter(([key]) => key in values)
  // Ticks first (they show or hide other fields), then the text, each announced as the user's own.
  for (const [key, input] of inputs.filter(([, one]) => TICK.has(one.type))) {
    if (input.checked === values[key]) continue
    input.checked = values[key]
    input.dispatchEvent(new Event('change', { bubbles: true }))
  }
  for (const [key, input] of inputs.filter(([, one]) => !TICK.has(one.type))) {
    if (input.value === values[key]) continue
    input.value = values[key]
    input.dispatchEvent(new Event('input', { bubbles: true }))
  }
  for (const [name, field] of Object.entries(keep)) field.restore(parts?.[name])
}

/**
 * The form's draft in IndexedDB (`drafts`, by '<item id>/<kind>'): written as the postman types
 * (and on every photo and stroke), restored when the form opens again (back, reload, a crash),
 * deleted in the transaction that saves the proof.
 */
export function formDraft(form, key, keep) {
  let timer = null
  let writing = true
  const state = { dirty: false, fixes: null } // fixes: what this form corrects (corrections.js)
  const note = h('p', { 'class': 'draft-note', 'hidden': true, 'data-draft': 'none' }, t('draft.restored'))
  const write = async () => {
    clearTimeout(timer)
    timer = null
    if (!writing || !state.dirty) return
    await (
      await db()
    ).put('drafts', { ...snapshot(form, keep), fixes: state.fixes, saved_at: Date.now() }, key)
  }
  const changed = (event) => {
    state.dirty = true
    clearTimeout(timer)
    // Typing is written after a short pause; a tick, a photo or a stroke at once.
    timer = setTimeout(write, event.type === 'input' ? 150 : 0)
  }
  form.addEventListener('input', changed)
  form.addEventListener('change', changed)
  db()
    .then((database) => database.get('drafts', key))
    .then((saved) => {
      if (!saved || state.dirty) return // the postman has started again: theirs wins
      writing = false // the restore's own events must not overwrite the draft half-way
      restoreSnapshot(form, keep, saved)
      writing = true
      state.dirty = true
      state.fixes = saved.fixes ?? null
      note.hidden = false
      note.dataset.draft = state.fixes ? 'correcting' : 'restored'
      if (state.fixes) note.textContent = t(state.fixes.outbox ? 'correct.queued' : 'correct.rejected')
    })
    .finally(() => {
      form.dataset.draft = note.dataset.draft
    })
  return {
    key,
    note,
    get dirty() {
      return state.dirty
    },
    get fixes() {
      return state.fixes
    },
    stop() {
      writing = false
      clearTimeout(timer)
    },
    start() {
      writing = true
    },
    flush: write,
  }
}

const TYPED = 'input[type=text], input:not([type]), input[type=search], input[inputmode]'

/**
 * The keyboard's Enter/Next moves to the next empty text field (no tap, and never a Save by
 * accident); after the last one the keyboard closes.
 */
export function nextOnEnter(event) {
  if (event.key !== 'Enter' || !event.target.matches?.(TYPED)) return
  event.preventDefault()
  const fields = [...event.currentTarget.querySelectorAll(TYPED)].filter((input) => input.offsetParent)
  const next = fields.slice(fields.indexOf(event.target) + 1).find((input) => !input.value)
  if (next) next.focus()
  else event.target.blur()
}

/** The second tap of a double tap on Save must not land on the next screen's buttons. */
export function swallowTaps(ms = 600) {
  const block = (event) => {
    event.preventDefault()
    event.stopPropagation()
  }
  document.body.dataset.tapGuard = '1'
  document.addEventListener('click', block, true)
  setTimeout(() => {
    document.removeEventListener('click', block, true)
    delete document.body.dataset.tapGuard
  }, ms)
}

/** Collect the "fill in X" messages of required text fields that are empty. */
export function requiredErrors(fields) {
  return fields.filter((field) => !field.value).map((field) => t('field.required', { label: field.label }))
}

/** Signatures → files, turning an empty pad into a message instead of an exception. */
export async function signatureFiles(pairs, errors) {
  const files = []
  for (const [field, kind] of pairs) {
    if (field.isEmpty()) errors.push(t('signature.emptyField', { label: field.label }))
    else files.push(await field.toFile(kind))
  }
  return files
}
