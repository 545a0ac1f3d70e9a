// Photos and signatures become small, verifiable files: JPEG photos with their long side at most
// 1600 px, PNG signatures, each named by its SHA-256 (computed here, checked by the server).
import { UserError } from './errors.js'

export const MAX_SIDE = 1600
const MAX_INPUT_BYTES = 40 * 1024 * 1024 // a camera photo is 2–12 MB; anything bigger is not one
const MAX_INPUT_PIXELS = 120_000_000
const TARGET_BYTES = 900 * 1024

export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}

function canvasOf(width, height) {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height)
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  return canvas
}

function encode(canvas, quality) {
  if (canvas.convertToBlob) return canvas.convertToBlob({ type: 'image/jpeg', quality })
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality))
}

/** A camera photo (File) → a compressed JPEG Blob, or a UserError saying what to do. */
export async function compressPhoto(file) {
  if (!file || file.size === 0) throw new UserError('photo.empty')
  if (file.type && !file.type.startsWith('image/')) throw new UserError('photo.notImage')
  if (file.size > MAX_INPUT_BYTES)
    throw new UserError('photo.tooLarge', { mb: Math.round(file.size / 1048576) })
  let bitmap
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
  } catch {
    throw new UserError('photo.unreadable')
  }
  try {
    const { width, height } = bitmap
    if (width * height > MAX_INPUT_PIXELS)
      throw new UserError('photo.tooLarge', { mb: Math.round(file.size / 1048576) })
    const scale = Math.min(1, MAX_SIDE / Math.max(width, height))
    const canvas = canvasOf(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)))
    const context = canvas.getContext('2d')
    context.fillStyle = '#fff' // transparent PNGs become white, not black
    context.fillRect(0, 0, canvas.width, canvas.height)
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
    let blob = await encode(canvas, 0.8)
    if (blob && blob.size > TARGET_BYTES) blob = await encode(canvas, 0.6)
    if (!blob || blob.size === 0) throw new UserError('photo.unreadable')
    return { blob, width: canvas.width, height: canvas.height }
  } finally {
    bitmap.close()
  }
}

/** The signature pad's canvas → a PNG Blob on a white background. */
export function canvasToPng(canvas) {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new UserError('signature.failed'))), 'image/png'),
  )
}
