// A "scan" button: the back camera in a small preview until a code it accepts is read. The raw
// text of a code goes only to `accept`, which returns what the screen needs (or nothing to go on).
import { t } from '../i18n.js'
import { barcodeDetector } from '../scan.js'
import { h } from '@common/dom.js'

export function scanButton({ name, label, accept, onResult }) {
  const status = h('p', { 'class': 'field-error', 'role': 'alert', 'data-scan-status': '' })
  const video = h('video', { class: 'scan-video', muted: true, playsinline: true, hidden: true })
  video.muted = true
  let stream = null
  let timer = null
  const stop = () => {
    clearTimeout(timer)
    stream?.getTracks().forEach((track) => track.stop())
    stream = null
    video.hidden = cancel.hidden = true
    open.hidden = false
    element.dataset.state = 'idle'
  }
  async function start() {
    element.dataset.state = 'starting'
    status.textContent = t('scan.starting')
    try {
      const detector = await barcodeDetector()
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'environment' },
        audio: false,
      })
      video.srcObject = stream
      video.hidden = cancel.hidden = false
      open.hidden = true
      await video.play()
      element.dataset.state = 'scanning'
      status.textContent = t('scan.aim')
      const tick = async () => {
        if (!stream) return
        if (!video.isConnected) return stop() // the screen was left
        const codes = await detector.detect(video).catch(() => [])
        for (const code of codes) {
          const value = accept(code.rawValue)
          if (value) {
            stop()
            status.textContent = ''
            onResult(value)
            return
          }
        }
        status.textContent = codes.length ? t('scan.notThis') : t('scan.aim')
        timer = setTimeout(tick, 150)
      }
      tick()
    } catch (error) {
      stop()
      status.textContent = t(error?.name === 'NotAllowedError' ? 'scan.denied' : 'scan.failed')
    }
  }
  const open = h(
    'button',
    { 'type': 'button', 'class': 'btn btn-secondary', 'data-action': `scan-${name}`, 'onclick': start },
    label,
  )
  const cancel = h(
    'button',
    { type: 'button', class: 'btn btn-secondary btn-small', hidden: true, onclick: stop },
    t('scan.stop'),
  )
  const element = h(
    'div',
    { 'class': 'scan', 'data-scan': name, 'data-state': 'idle' },
    open,
    video,
    cancel,
    status,
  )
  return { element, stop }
}
