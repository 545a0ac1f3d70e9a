// A signature drawn on screen (signature_pad), sized to its canvas on any screen: the PWA's proof
// and handover forms and the dashboard's electronic handover records use this one pad.
import SignaturePad from 'signature_pad'

/** Attach a pad to `canvas`; it is created once the canvas has a width, and keeps its strokes when
 *  the canvas is resized. `onStroke` runs after each stroke. Returns the pad's handle. */
export function signaturePad(canvas, { onStroke = () => {}, restored = null } = {}) {
  let pad = null
  let width = 0
  let pending = restored // strokes to draw once the pad exists
  const fit = () => {
    const ratio = Math.min(window.devicePixelRatio || 1, 2)
    const cssWidth = canvas.offsetWidth
    if (!cssWidth || cssWidth === width) return
    width = cssWidth
    const strokes = pad?.toData() ?? []
    canvas.width = cssWidth * ratio
    canvas.height = canvas.offsetHeight * ratio
    canvas.getContext('2d').scale(ratio, ratio)
    if (!pad) {
      pad = new SignaturePad(canvas, {
        backgroundColor: 'rgb(255,255,255)',
        penColor: 'rgb(11,31,77)',
        minWidth: 1,
        maxWidth: 3,
      })
      pad.addEventListener('endStroke', onStroke)
    }
    pad.clear()
    if (!strokes.length && pending) strokes.push(...pending)
    pending = null
    if (strokes.length) pad.fromData(strokes)
  }
  new ResizeObserver(fit).observe(canvas)
  return {
    clear: () => pad?.clear(),
    isEmpty: () => !pad || pad.isEmpty(),
    strokes: () => (pad ? pad.toData() : (pending ?? [])),
    restore(strokes) {
      if (!strokes?.length) return
      if (pad) pad.fromData(strokes)
      else pending = strokes
    },
    /** The drawing as a PNG data URL (what the dashboard sends). */
    dataUrl: () => canvas.toDataURL('image/png'),
  }
}
