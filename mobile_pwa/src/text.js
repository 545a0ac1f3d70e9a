// Text helpers: diacritic-insensitive search, money, distances, dates in Asia/Ho_Chi_Minh.
import { lang } from './i18n.js'

export const TIME_ZONE = 'Asia/Ho_Chi_Minh'

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

const locale = () => (lang() === 'vi' ? 'vi-VN' : 'en-GB')

export function money(vnd) {
  return `${new Intl.NumberFormat(locale()).format(vnd ?? 0)} ₫`
}

export function distance(metres) {
  if (metres == null) return ''
  if (metres < 1000) return `${Math.round(metres)} m`
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(metres / 1000)} km`
}

/** Today's date where the post office is (rounds are planned by local date): "YYYY-MM-DD". */
export function localToday(now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(now)
}

export function addDays(isoDate, days) {
  const date = new Date(`${isoDate}T12:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

export function showDate(isoDate) {
  if (!isoDate) return ''
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', day: '2-digit', month: '2-digit', year: 'numeric' })
    .format(new Date(`${isoDate}T00:00:00Z`))
}

export function showTime(millis) {
  if (!millis) return ''
  return new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit',
    day: '2-digit', month: '2-digit' }).format(new Date(millis))
}

/** The device time with its UTC offset, as the protocol's `at` wants: 2026-11-26T09:41:07+07:00. */
export function deviceTime(now = new Date()) {
  const pad = (n) => String(Math.abs(n)).padStart(2, '0')
  const offset = -now.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:` +
    `${pad(now.getMinutes())}:${pad(now.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
}

/** "089123456789" → "*********789" (the screens never show a full ID number). */
export function maskId(number) {
  if (!number) return ''
  return '*'.repeat(Math.max(number.length - 3, 0)) + number.slice(-3)
}
