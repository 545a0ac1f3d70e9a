// An item's page (#/items/{id}): every field, the actions its status allows (from the one state
// machine, GET /api/items/{id}/timeline → allowed_events), its proofs inline with zoomable photos and
// the review of a flagged one, and its whole story with who and when. Every change carries the
// version the page showed (If-Match): a change made meanwhile by someone else is refused (412), and
// the page reloads and says so. While open the page re-reads the item and its story every few
// seconds and redraws only when either changed (a new version, or a proof, a review, a fee, a
// handover that leaves the version as it was); not while something is being typed (or a photo is
// enlarged): then it says so and offers to reload.
import * as api from '../lib/api.js'
import { announce, h, newId, replace } from '@common/dom.js'
import { citizenAnswer } from '@common/citizen.js'
import { dateTime, day, localToday, money } from '@common/format.js'
import { label, lang, t } from '../lib/i18n.js'
import { problemText } from '../lib/problems.js'
import { poll } from '../lib/poller.js'
import { proofFacts, proofFiles, reviewForm } from './proof.js'

const EDITABLE = [
  ['recipient_name', 'item.recipient', 'text'],
  ['recipient_phone', 'item.phone', 'tel'],
  ['address_line', 'item.address', 'text'],
  ['commune', 'item.commune', 'text'],
  ['due_date', 'item.due', 'date'],
  ['note', 'item.note', 'text'],
]

// Messages to the citizen stopped, by a supervisor or by the citizen's STOP (docs/notifications.md).
const NOTE_ACTIONS = ['notifications.opted_out', 'notifications.stopped']

// The words for a corrected field in the story (the server names it by its API field).
const FIELD_WORDS = {
  dossier_code: 'item.dossier',
  recipient_name: 'item.recipient',
  recipient_phone: 'item.phone',
  address_line: 'item.address',
  commune: 'item.commune',
  province: 'item.province',
  old_address: 'item.oldAddress',
  lat: 'item.position',
  lon: 'item.position',
  service_fee: 'item.serviceFee',
  government_fee: 'item.governmentFee',
  due_date: 'item.due',
  note: 'item.note',
}

export function renderItem(main, { segments, config }) {
  const itemId = Number(segments[0])
  const urls = []
  const message = h('div', { class: 'messages', id: 'item-messages' })
  let current = null // {item, story, proofs}
  const touched = new Set() // the fields the user typed in or changed since the last draw
  const touch = (event) => event.isTrusted && touched.add(event.target)
  main.addEventListener('input', touch)
  main.addEventListener('change', touch)

  function say(text, kind = 'ok') {
    replace(
      message,
      h('p', { class: kind === 'ok' ? 'ok' : 'error', role: kind === 'ok' ? 'status' : 'alert' }, text),
    )
    if (kind === 'ok') announce(text)
  }

  async function load() {
    try {
      const [item, story, proofs, notes] = await Promise.all([
        api.get(`/api/items/${itemId}`),
        api.get(`/api/items/${itemId}/timeline`),
        api.get('/api/proofs', { item_id: itemId, per_page: 100 }),
        api.get(`/api/items/${itemId}/notifications`).catch(() => null), // the page works without it
      ])
      current = { item, story, proofs, notes }
      draw()
    } catch (error) {
      replace(main, h('p', { class: 'error', role: 'alert' }, problemText(error)))
    }
  }

  // One change, then the page again; a stale version (412) reloads and says so.
  async function act(work, success) {
    try {
      await work(`"${current.item.version}"`)
      await load()
      say(success)
    } catch (error) {
      if (error.status === 412) {
        await load()
        say(t('item.stale'), 'error')
      } else say(problemText(error), 'error')
    }
  }

  // What the page shows that can change without a new item version: a proof arriving or reviewed,
  // a fee, a handover record, the actions allowed (the story is read unaudited; the proofs, whose
  // listing is audited, only when the story has something new).
  const storyKey = (story) => JSON.stringify([story.entries, story.allowed_events])

  /** Re-read the item and its story; a change redraws the page, unless that would lose what is being typed. */
  async function check() {
    if (!current) return
    const [item, story] = await Promise.all([
      api.get(`/api/items/${itemId}`),
      api.get(`/api/items/${itemId}/timeline`),
    ])
    if (item.version === current.item.version && storyKey(story) === storyKey(current.story)) return
    const typing = [...touched].some((field) => field.isConnected)
    if (typing || document.querySelector('dialog[open]')) {
      if (!message.querySelector('#item-reload'))
        replace(
          message,
          h(
            'p',
            { class: 'error', role: 'status' },
            t('item.changedWhileTyping'),
            ' ',
            h('button', { type: 'button', id: 'item-reload', onclick: () => load() }, t('item.reload')),
          ),
        )
      return
    }
    await load()
    announce(t('item.changedElsewhere'))
  }

  function draw() {
    const { item, story, proofs, notes } = current
    touched.clear()
    urls.splice(0).forEach((u) => URL.revokeObjectURL(u))
    document.title = `${t('item.title', { code: item.code })} — PostRound`
    replace(
      main,
      h(
        'div',
        { 'class': 'page-head item-page', 'data-item-id': item.id },
        h('h1', {}, t('item.title', { code: item.code })),
        h(
          'span',
          { 'class': `status status-${item.status}`, 'data-status': item.status },
          label('status', item.status),
        ),
      ),
      message,
      h(
        'div',
        { class: 'item-columns' },
        h(
          'div',
          {},
          section('item-fields', t('item.fields'), facts(item)),
          section('item-actions', t('item.actions'), actions(item, story)),
        ),
        h(
          'div',
          {},
          section(
            'item-proofs',
            t('item.proofs', { n: proofs.length }),
            proofs.length
              ? proofs.map((p) => proofCard(p, item, story))
              : h('p', { class: 'muted' }, t('item.noProofs')),
          ),
          section('item-timeline', t('item.timeline'), timeline(story)),
          notes && section('item-notifications', t('item.notifications'), notifications(item, notes)),
        ),
      ),
    )
  }

  function section(id, title, ...content) {
    const head = `${id}-title`
    return h(
      'section',
      { 'class': 'card', 'id': id, 'aria-labelledby': head },
      h('h2', { id: head }, title),
      content,
    )
  }

  function facts(item) {
    const rows = [
      ['item.code', item.code],
      ['item.direction', label('direction', item.direction)],
      ['item.status', label('status', item.status)],
      ['item.dossier', item.dossier_code || '—'],
      ['item.procedure', `${item.procedure.name} (${item.procedure.code})`],
      ['item.agency', item.agency.name],
      ['item.recipient', item.recipient_name],
      ['item.phone', item.recipient_phone || '—'],
      ['item.address', item.address_line],
      ['item.commune', item.commune],
      ['item.province', item.province],
      ['item.oldAddress', item.old_address || '—'],
      ['item.position', item.lat === null ? '—' : `${item.lat.toFixed(5)}, ${item.lon.toFixed(5)}`],
      ['item.serviceFee', money(item.service_fee)],
      ['item.governmentFee', money(item.government_fee)],
      ['item.due', day(item.due_date)],
      ['item.attempts', String(item.attempt_count)],
      ['item.invitations', String(item.invitation_count)],
      ['item.nextFrom', day(item.next_attempt_from)],
      ['item.note', item.note || '—'],
      ['citizen.answer', citizenAnswer(item) || '—'],
      [
        'item.round',
        item.round_id
          ? t('item.roundOf', { id: item.round_id, stop: item.stop_order ?? '—' })
          : t('item.noRound'),
      ],
      ['item.version', String(item.version)],
      ['item.created', dateTime(item.created_at)],
      ['item.updated', dateTime(item.updated_at)],
    ]
    return h(
      'dl',
      { class: 'facts' },
      rows.map(([key, value]) => [h('dt', {}, t(key)), h('dd', { 'data-field': key }, value)]),
    )
  }

  function actions(item, story) {
    const allowed = new Set(story.allowed_events)
    const parts = [
      story.editable && editForm(item),
      allowed.has('assign') && assignForm(item),
      allowed.has('receive_from_agency') &&
        eventButton(item, 'receive_from_agency', 'item.receive', 'item.received'),
      allowed.has('give_up') && eventButton(item, 'give_up', 'item.giveUp', 'item.gaveUp'),
      (allowed.has('return_to_agency') || allowed.has('hand_to_agency')) &&
        h(
          'p',
          {},
          h(
            'a',
            {
              'class': 'button',
              'data-action': 'handover',
              'href': `#/handovers?direction=post_to_agency&agency=${item.agency.id}&item=${item.id}`,
            },
            t('item.handover'),
          ),
        ),
      allowed.has('cancel') && cancelForm(item),
    ].filter(Boolean)
    return parts.length ? parts : h('p', { class: 'muted' }, t('item.noActions'))
  }

  function editForm(item) {
    const inputs = EDITABLE.map(([name, key, type]) => {
      const id = newId(`item-${name}`)
      const input = h('input', { id, name, type, value: item[name] ?? '' })
      return { name, input, field: h('div', { class: 'field' }, h('label', { for: id }, t(key)), input) }
    })
    return h(
      'details',
      { class: 'item-edit' },
      h('summary', {}, t('item.edit')),
      h(
        'form',
        {
          onsubmit: (event) => {
            event.preventDefault()
            const body = {}
            for (const { name, input } of inputs) {
              const value = input.value.trim()
              if (value !== (item[name] ?? ''))
                body[name] = value === '' && name !== 'recipient_name' ? null : value
            }
            if (!Object.keys(body).length) return
            act(
              (version) => api.patch(`/api/items/${item.id}`, body, { 'If-Match': version }),
              t('item.saved'),
            )
          },
        },
        inputs.map((i) => i.field),
        h('button', { 'type': 'submit', 'class': 'primary', 'data-action': 'save-item' }, t('item.save')),
      ),
    )
  }

  function eventButton(item, event, key, done) {
    return h(
      'p',
      {},
      h(
        'button',
        {
          'type': 'button',
          'data-action': event,
          'onclick': () =>
            act(
              (version) => api.post(`/api/items/${item.id}/events`, { event }, null, { 'If-Match': version }),
              t(done),
            ),
        },
        t(key),
      ),
    )
  }

  function cancelForm(item) {
    const id = newId('cancel-reason')
    const reason = h('input', { id, type: 'text', maxlength: 500 })
    return h(
      'form',
      {
        class: 'item-cancel',
        onsubmit: (event) => {
          event.preventDefault()
          const text = reason.value.trim()
          if (!text) {
            say(t('item.reasonRequired'), 'error')
            return reason.focus()
          }
          act(
            (version) =>
              api.post(`/api/items/${item.id}/events`, { event: 'cancel', reason: text }, null, {
                'If-Match': version,
              }),
            t('item.cancelled'),
          )
        },
      },
      h('div', { class: 'field' }, h('label', { for: id }, t('item.cancelReason')), reason),
      h('button', { 'type': 'submit', 'class': 'danger', 'data-action': 'cancel-item' }, t('item.cancel')),
    )
  }

  // Assign (or reassign) to a round of a day: the rounds endpoint, as on the planning page.
  function assignForm(item) {
    const dateId = newId('assign-date')
    const roundId = newId('assign-round')
    const when = h('input', { id: dateId, type: 'date', value: localToday(), onchange: () => fill() })
    const select = h('select', { id: roundId })
    async function fill() {
      const rounds = await api
        .get('/api/rounds', { date: when.value || localToday(), per_page: 200 })
        .catch(() => [])
      const choices = rounds.filter((r) => r.id !== item.round_id && r.office_id === item.office_id)
      replace(
        select,
        h('option', { value: '' }, choices.length ? t('item.chooseRound') : t('item.noRounds')),
        choices.map((r) => h('option', { value: r.id }, `#${r.id} — ${r.postman.full_name}`)),
      )
    }
    fill()
    return h(
      'form',
      {
        class: 'item-assign',
        onsubmit: (event) => {
          event.preventDefault()
          const target = Number(select.value)
          if (!target) return select.focus()
          act(
            () => api.post(`/api/rounds/${target}/assign`, { item_ids: [item.id] }),
            t('item.assigned', { id: target }),
          )
        },
      },
      h('div', { class: 'field inline' }, h('label', { for: dateId }, t('item.roundDate')), when),
      h('div', { class: 'field inline' }, h('label', { for: roundId }, t('item.round')), select),
      h(
        'button',
        { 'type': 'submit', 'data-action': 'assign-item' },
        t(item.round_id ? 'item.reassign' : 'item.assign'),
      ),
    )
  }

  function proofCard(proof, item, story) {
    const told = story.entries.find((e) => e.kind === 'proof' && e.proof_id === proof.id)
    const postman = told?.actor || null
    return h(
      'article',
      { 'class': `item-proof${proof.flagged && !proof.review ? ' flagged' : ''}`, 'data-proof-id': proof.id },
      h('h3', {}, t('item.proofHead', { id: proof.id, outcome: label('outcome', proof.outcome) })),
      proofFacts(proof, item, postman),
      proofFiles(proof, urls),
      reviewForm(proof, async (action) => {
        await load()
        say(t(action === 'accept' ? 'tl.review.accepted' : 'tl.review.rejected', { id: proof.id }))
      }),
    )
  }

  function roundName(ref) {
    if (!ref) return '—'
    return t('tl.onRound', { date: day(ref.round_date), name: ref.postman?.full_name || '—' })
  }

  function sentence(e) {
    const reason = e.reason ? ` (${t('tl.reason', { reason: e.reason })})` : ''
    switch (e.kind) {
      case 'created':
        return t('tl.created')
      case 'imported':
        return t('tl.imported', { line: e.line ?? '—' })
      case 'updated':
        return t('tl.updated', {
          fields: [...new Set(e.fields.map((f) => (FIELD_WORDS[f] ? t(FIELD_WORDS[f]) : f)))].join(', '),
        })
      case 'reassigned':
        return t('tl.reassigned', { from: roundName(e.from_round), to: roundName(e.round) })
      case 'event':
        return (
          t('tl.event', {
            event: label('event', e.event),
            from: label('status', e.from_status),
            to: label('status', e.to_status),
          }) +
          (e.event === 'assign' && e.round ? ` — ${roundName(e.round)}` : '') +
          reason
        )
      case 'proof':
        return [
          t('tl.proof', { id: e.proof_id, outcome: label('outcome', e.outcome) }),
          e.reason ? ` — ${label('reason', e.reason)}` : '',
          e.note ? ` — “${e.note}”` : '',
          e.counts_as_invitation === true ? ` · ${t('tl.invitation')}` : '',
          e.counts_as_invitation === false ? ` · ${t('tl.noInvitation')}` : '',
          e.flagged ? ` · ${t('tl.proofFlag', { reason: label('flag', e.flag_reason) })}` : '',
        ].join('')
      case 'review':
        return t(`tl.review.${e.review}`, { id: e.proof_id }) + (e.note ? ` — “${e.note}”` : '')
      case 'fee':
        return (
          t('tl.fee', {
            service: money(e.service_fee),
            servicePaid: t(`paid.${e.service_fee_payment}`),
            government: money(e.government_fee),
            governmentPaid: t(`paid.${e.government_fee_payment}`),
          }) + (e.receipt_number ? `, ${t('tl.receipt', { number: e.receipt_number })}` : '')
        )
      case 'handover':
        return (
          t('tl.handover', {
            number: e.number,
            direction: t(`handoverDirection.${e.direction}`),
            agency: e.agency,
            originals: e.originals,
            copies: e.copies,
          }) + (e.fee_passed_on ? `, ${t('tl.handoverFee', { fee: money(e.fee_passed_on) })}` : '')
        )
      default:
        if (NOTE_ACTIONS.includes(e.action)) return t(`tl.${e.action}`)
        return t('tl.other', { action: e.action || e.kind })
    }
  }

  // The SMS / Zalo messages to the citizen (docs/notifications.md), newest first, and the opt-out.
  function notifications(item, notes) {
    const list = notes.messages.length
      ? h(
          'ol',
          { class: 'timeline' },
          notes.messages.map((m) =>
            h(
              'li',
              { 'data-event': m.event, 'data-status': m.status },
              h('time', { datetime: m.sent_at || m.due_at }, dateTime(m.sent_at || m.due_at)),
              ' ',
              h('span', { class: 'what' }, `${t(`note.event.${m.event}`)} (${m.channel.toUpperCase()})`),
              h(
                'span',
                { class: 'who' },
                t(`note.status.${m.status}`),
                m.attempts.length > 1 ? ` · ${t('note.attempts', { n: m.attempts.length })}` : '',
                m.last_error && m.status !== 'sent' ? ` · ${m.last_error}` : '',
              ),
              h('p', { class: 'muted' }, lang() === 'en' ? m.text_en : m.text_vi),
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('note.none'))
    const stop = notes.opted_out
      ? h('p', { class: 'muted', id: 'item-opted-out' }, t('note.optedOut'))
      : h(
          'button',
          {
            type: 'button',
            id: 'item-opt-out',
            onclick: () =>
              act(() => api.post(`/api/items/${item.id}/notifications/opt-out`, {}), t('note.optedOut')),
          },
          t('note.optOut'),
        )
    return [list, stop]
  }

  function timeline(story) {
    return h(
      'ol',
      { class: 'timeline' },
      story.entries.map((e) =>
        h(
          'li',
          { 'data-kind': e.kind, 'data-event': e.event || e.outcome || e.review || null },
          h('time', { datetime: e.at }, dateTime(e.at)),
          ' ',
          h('span', { class: 'what' }, sentence(e)),
          h(
            'span',
            { class: 'who' },
            e.actor ? `${e.actor.full_name} (${t(`role.${e.actor.role}`)})` : t('item.someone'),
          ),
        ),
      ),
    )
  }

  replace(main, h('p', {}, t('common.loading')))
  if (!itemId)
    replace(main, h('p', { class: 'error', role: 'alert' }, t('search.none', { q: segments[0] || '' })))
  else load()
  const poller = itemId ? poll(check, config?.poll_seconds || 10) : null
  return () => {
    poller?.stop()
    urls.splice(0).forEach((u) => URL.revokeObjectURL(u))
  }
}
