// Scan instead of type: the camera reads the item's barcode (UPU S10 as Code 128, or the QR the
// dashboard prints) and the QR code on the citizen's chip ID card (CCCD). The browser's own
// BarcodeDetector where it has one; elsewhere the barcode-detector polyfill (ZXing in WebAssembly),
// loaded on the first scan from the app's own files (precached: it works offline).
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url'
import { fold } from '@common/format.js'

const FORMATS = ['qr_code', 'code_128']
let detecting = null

/** A BarcodeDetector for QR and Code 128: the browser's, else the bundled WebAssembly one. */
export function barcodeDetector() {
  detecting ??= (async () => {
    const Native = globalThis.BarcodeDetector
    if (Native) {
      const supported = await Native.getSupportedFormats().catch(() => [])
      if (FORMATS.every((format) => supported.includes(format))) return new Native({ formats: FORMATS })
    }
    const { BarcodeDetector, setZXingModuleOverrides } = await import('barcode-detector/ponyfill')
    setZXingModuleOverrides({
      locateFile: (path, prefix) => (path.endsWith('.wasm') ? wasmUrl : prefix + path),
    })
    return new BarcodeDetector({ formats: FORMATS })
  })().catch((error) => {
    detecting = null
    throw error
  })
  return detecting
}

/** An S10 item code (two letters, 8 digits and a check digit, two letters) in a scanned text. */
export function itemCodeIn(text) {
  return String(text ?? '')
    .toUpperCase()
    .match(/[A-Z]{2}\d{9}[A-Z]{2}/)?.[0]
}

/**
 * The CCCD's QR: "ID number|old ID number|full name|date of birth|sex|address|date of issue".
 * Only the ID number and the name are read; the caller keeps nothing else.
 */
export function readCccd(text) {
  const parts = String(text ?? '').split('|')
  if (parts.length < 3 || !/^\d{12}$/.test(parts[0])) return null
  return { idNumber: parts[0], name: parts[2].trim() }
}

/** Names compared as people read them: case, diacritics (đ/d) and spacing ignored. */
export function sameName(a, b) {
  return Boolean(fold(a)) && fold(a) === fold(b)
}
