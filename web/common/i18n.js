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
    // The citizen's answer from the tracking link (web/common/citizen.js, docs/citizen.md).
    'citizen.answer': 'Người dân đã chọn',
    'citizen.another_day': 'Hẹn phát ngày {day}',
    'citizen.stand_in': 'Người nhận thay: {name} (kiểm tra giấy ủy quyền và CCCD)',
    'citizen.pickup': 'Sẽ đến nhận tại bưu cục',
    'citizen.booked': 'Đặt thu gom, ngày mong muốn {day}',
    'login.username': 'Tên đăng nhập',
    'login.password': 'Mật khẩu',
    'login.submit': 'Đăng nhập',
    // Refused requests every app words the same way (web/common/problems.js).
    'problem.network': 'Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.',
    'problem.unexpected': 'Có lỗi không mong muốn trên trang này. Hãy tải lại trang.',
    'problem.other': 'Máy chủ từ chối yêu cầu (mã {code}, {status}). Chưa có gì thay đổi.',
    'problem.validation-error': 'Dữ liệu chưa hợp lệ: {fields}.',
    'problem.too-many-requests': 'Quá nhiều yêu cầu; hãy thử lại sau {retry_after} giây.',
    'problem.internal-error': 'Máy chủ gặp lỗi; chưa có gì được ghi. Hãy thử lại.',
    'problem.not-found': 'Không tìm thấy.',
    'problem.forbidden': 'Bạn không có quyền làm việc này.',
    'problem.version-mismatch': 'Người khác vừa thay đổi; trang đã tải lại, hãy xem rồi thử lại.',
    'problem.malformed-json': 'Yêu cầu không đọc được.',
    // The API's field names, as a refused request names them (problem params.fields).
    'apiField.date_from': 'Từ ngày',
    'apiField.date_to': 'Đến ngày',
    'apiField.recipient_name': 'Người nhận',
    'apiField.phone': 'Điện thoại',
    'apiField.address_line': 'Địa chỉ',
    'apiField.commune': 'Xã/Phường',
    'apiField.due_date': 'Hạn trả',
    'apiField.note': 'Ghi chú',
    'apiField.postman_id': 'Bưu tá',
    'apiField.round_date': 'Ngày của chuyến',
    'apiField.agency_id': 'Cơ quan',
    'apiField.item_ids': 'Bưu gửi',
    'apiField.reason': 'Lý do',
    'apiField.username': 'Tên đăng nhập',
    'apiField.password': 'Mật khẩu',
    'apiField.date': 'Ngày',
    'apiField._schema': 'Dữ liệu gửi lên',
  },
  en: {
    'login.title': 'Sign in',
    'citizen.answer': "The citizen's choice",
    'citizen.another_day': 'Deliver on {day}',
    'citizen.stand_in': 'Stand-in: {name} (check the authorisation letter and ID)',
    'citizen.pickup': 'Will pick it up at the post office',
    'citizen.booked': 'Collection booked, preferred day {day}',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'problem.network': 'The server cannot be reached. Check the network and try again.',
    'problem.unexpected': 'Something unexpected went wrong on this page. Reload it.',
    'problem.other': 'The server refused the request (code {code}, {status}). Nothing changed.',
    'problem.validation-error': 'Some fields are not valid: {fields}.',
    'problem.too-many-requests': 'Too many requests; try again in {retry_after} s.',
    'problem.internal-error': 'The server had an error; nothing was written. Try again.',
    'problem.not-found': 'Not found.',
    'problem.forbidden': 'You may not do this.',
    'problem.version-mismatch': 'Someone else changed this; the page reloaded, check it and try again.',
    'problem.malformed-json': 'The request could not be read.',
    'apiField.date_from': 'From',
    'apiField.date_to': 'To',
    'apiField.recipient_name': 'Recipient',
    'apiField.phone': 'Phone',
    'apiField.address_line': 'Address',
    'apiField.commune': 'Commune',
    'apiField.due_date': 'Due date',
    'apiField.note': 'Note',
    'apiField.postman_id': 'Postman',
    'apiField.round_date': 'Round date',
    'apiField.agency_id': 'Agency',
    'apiField.item_ids': 'Items',
    'apiField.reason': 'Reason',
    'apiField.username': 'Username',
    'apiField.password': 'Password',
    'apiField.date': 'Date',
    'apiField._schema': 'The data sent',
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
