// Reads the QR codes (and, when asked, other symbologies) in a PNG file with zxing-cpp (the
// zxing-wasm build the PWA's scanner bundles), independently of the encoder that drew them:
//   node tests/kit/read_qr.mjs file.png [QRCode,Code128]
// prints a JSON list of {format, text}, one per code found.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'

const require = createRequire(new URL('../../mobile_pwa/package.json', import.meta.url))
const reader = require('zxing-wasm/reader')
const wasmBinary = await readFile(require.resolve('zxing-wasm/reader/zxing_reader.wasm'))
reader.prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true })
const bytes = await readFile(process.argv[2])
const formats = (process.argv[3] || 'QRCode').split(',')
const found = await reader.readBarcodes(new Uint8Array(bytes), { formats, tryHarder: true, maxNumberOfSymbols: 255 })
process.stdout.write(JSON.stringify(found.map((code) => ({ format: code.format, text: code.text }))))
