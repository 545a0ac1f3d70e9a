// Numbers, money, distances, dates and times the Vietnamese way (vi-VN: 26.000 ₫, 100,0 %,
// 01/12/2026; en-GB in English). Times are stored in UTC and shown in the post office's zone,
// which the server tells each app (setZone: the dashboard's config, the phone's sync pull);
// until it has, the browser's own zone is used.
import { currentLang } from './i18n.js'

let zone

/** The post office's IANA time zone, as the server says (e.g. 'Asia/Ho_Chi_Minh'). */
export function setZone(name) {
  if (!name) return
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    zone = name
  } catch {
    // an unknown zone: keep the one we had
  }
}

export function timeZone() {
  return zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone
}

const locale = () => (currentLang() === 'en' ? 'en-GB' : 'vi-VN')

export function number(n, fractionDigits = 0) {
  return new Intl.NumberFormat(locale(), {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(n || 0)
}

/** Whole VND: "26.000 ₫". */
export function money(vnd) {
  return `${number(vnd)} ₫`
}

/** A share 0..1 with one decimal: "100,0 %"; '—' when there is none. */
export function percent(share) {
  return share === null || share === undefined ? '—' : `${number(share * 100, 1)} %`
}

/** A distance in metres as "400 m" or "1,4 km"; '—' when unknown. */
export function metres(m) {
  if (m === null || m === undefined) return '—'
  if (m < 1000) return `${Math.round(m)} m`
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(m / 1000)} km`
}

/** Today's date where the post office is (rounds are planned by local date): "YYYY-MM-DD". */
export function localToday(now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timeZone(),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now)
}

export function addDays(isoDate, days) {
  const date = new Date(`${isoDate}T12:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

/** A calendar date 'YYYY-MM-DD' (already local) as "01/12/2026"; '—' when none. */
export function day(isoDate) {
  if (!isoDate) return '—'
  return new Intl.DateTimeFormat(locale(), {
    timeZone: 'UTC',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).format(new Date(`${isoDate}T00:00:00Z`))
}

/** A report's period, 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY-Q4', as "01/12/2026", "12/2026" or "Q4/2026". */
export function period(label) {
  const quarter = /^(\d{4})-Q([1-4])$/.exec(label || '')
  if (quarter) return `Q${quarter[2]}/${quarter[1]}`
  const month = /^(\d{4})-(\d{2})$/.exec(label || '')
  return month ? `${month[2]}/${month[1]}` : day(label)
}

function toDate(value) {
  return value instanceof Date ? value : new Date(value)
}

/** A moment (ISO string, Date or epoch ms) in the post office's zone, with these Intl options. */
function moment(value, options) {
  return new Intl.DateTimeFormat(locale(), { timeZone: timeZone(), ...options }).format(toDate(value))
}

/** A moment (ISO string, Date or epoch ms) as "01/12/2026 23:25" (day first, the year whole, no
 *  seconds, in both languages); '—' when none. */
export function dateTime(value) {
  if (!value) return '—'
  const parts = {}
  for (const { type, value: v } of new Intl.DateTimeFormat('en-GB', {
    timeZone: timeZone(),
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(toDate(value)))
    parts[type] = v
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`
}

/** A moment as hours and minutes, "09:05"; '—' when none. */
export function time(value) {
  return value ? moment(value, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }) : '—'
}

/** A moment as "09:41 26/11": the day and the time, short (phone lists); '' when none. */
export function shortDateTime(value) {
  return value ? moment(value, { hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit' }) : ''
}

/** Whole minutes since a moment (the browser's clock). */
export function minutesSince(value) {
  return value ? Math.max(0, Math.floor((Date.now() - toDate(value).getTime()) / 60000)) : null
}

/** The device time with its UTC offset, as the sync protocol's `at` wants: 2026-11-26T09:41:07+07:00. */
export function deviceTime(now = new Date()) {
  const pad = (n) => String(Math.abs(n)).padStart(2, '0')
  const offset = -now.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  return (
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:` +
    `${pad(now.getMinutes())}:${pad(now.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  )
}

/** "Nguyễn Thị Đào" → "nguyen thi dao": search matches with and without diacritics. */
export function fold(text) {
  return String(text ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
}

/** "089123456789" → "*********789" (screens never show a full ID number). */
export function maskId(number) {
  if (!number) return ''
  return '*'.repeat(Math.max(number.length - 3, 0)) + number.slice(-3)
}
