// Times are stored in UTC and shown in the post office's zone (config.timezone); money is whole VND.
import { lang } from './i18n.js';

let zone = 'Asia/Ho_Chi_Minh';

export function setZone(name) { zone = name || zone; }

function locale() { return lang() === 'vi' ? 'vi-VN' : 'en-GB'; }

export function dateTime(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso));
}

export function time(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, timeStyle: 'short' }).format(new Date(iso));
}

/** 'YYYY-MM-DD' (a local date already) as the reader writes dates. */
export function day(isoDate) {
  if (!isoDate) return '—';
  const [y, m, d] = isoDate.split('-');
  return lang() === 'vi' ? `${d}/${m}/${y}` : `${d}/${m}/${y}`;
}

export function money(amount) {
  return `${new Intl.NumberFormat('vi-VN').format(amount || 0)} ₫`;
}

export function number(n) {
  return new Intl.NumberFormat(locale()).format(n || 0);
}

export function percent(share) {
  return share === null || share === undefined ? '—' : `${(share * 100).toFixed(1)} %`;
}

/** Whole minutes since an ISO time (the browser's clock). */
export function minutesSince(iso) {
  return iso ? Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000)) : null;
}

/** Today's date in the post office's zone, as 'YYYY-MM-DD'. */
export function localToday() {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  return parts;
}

export function metres(m) {
  if (m === null || m === undefined) return '—';
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${m} m`;
}
