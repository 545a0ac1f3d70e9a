// VietQR payment payload (NAPAS "VietQR" on EMVCo QR, merchant-presented), built on the phone, offline,
// because the postman may correct the amount at the door. Its fields are backend/domain/vietqr.py's SPEC
// (generated into vietqr_spec.js), the same the tracking page draws its QR with; tests/test_vietqr.py
// decodes this builder and the server's for the same vectors. Every data object is ID (2 digits) + length (2 digits) + value; tag 63 closes the payload with the
// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of everything before it, including "6304".

import { SPEC } from './vietqr_spec.js'

function tlv(id, value) {
  const text = String(value)
  if (text.length > 99) throw new RangeError(`VietQR field ${id} is longer than 99 characters`)
  return id + String(text.length).padStart(2, '0') + text
}

export function crc16(text) {
  let crc = SPEC.crc_init
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ SPEC.crc_poly) & 0xffff : (crc << 1) & 0xffff
  }
  return crc.toString(16).toUpperCase().padStart(4, '0')
}

// Banking apps show the purpose as typed; keep it plain ASCII (no diacritics) and within its length.
function plain(text) {
  return String(text)
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^0-9A-Za-z .-]/g, '')
    .slice(0, SPEC.max_purpose)
    .trim()
}

// The account a QR can pay to: a six-digit bank BIN and an account number, or null when not configured.
export function payable(bank) {
  if (!bank || !/^\d{6}$/.test(bank.bin ?? '') || !/^[0-9A-Za-z]{1,19}$/.test(bank.account ?? '')) {
    return null
  }
  return bank
}

// The payload for `amount` VND to `bank` ({bin, account}), the purpose carrying `reference` (the item code).
export function vietqrPayload({ bank, amount, reference }) {
  if (!payable(bank)) throw new Error('No bank account configured for VietQR')
  if (!Number.isInteger(amount) || amount <= 0)
    throw new RangeError('A VietQR amount is a positive whole VND')
  const beneficiary = tlv('00', bank.bin) + tlv('01', bank.account)
  const body =
    tlv('00', SPEC.format) +
    tlv('01', SPEC.initiation) +
    tlv('38', tlv('00', SPEC.guid) + tlv('01', beneficiary) + tlv('02', SPEC.service)) +
    tlv('53', SPEC.currency) +
    tlv('54', String(amount)) +
    tlv('58', SPEC.country) +
    tlv('62', tlv('08', plain(reference))) +
    '6304'
  return body + crc16(body)
}
