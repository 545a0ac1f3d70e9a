"""Text contrast as the browser paints it: WCAG 2 contrast ratio of each visible text's computed
colour against the first opaque background behind it (computed styles, no screenshot)."""

from __future__ import annotations

# Returns [{text, ratio, color, background}] for every visible element holding text directly.
LOW_CONTRAST_JS = """(minimum) => {
  const rgba = (text) => { const n = text.match(/[\\d.]+/g).map(Number); return [n[0], n[1], n[2], n[3] ?? 1] }
  const lum = ([r, g, b]) => { const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }); return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2] }
  const over = (top, under) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1) }
  const backdrop = (element) => {
    const layers = []
    for (let e = element; e; e = e.parentElement) {
      const bg = rgba(getComputedStyle(e).backgroundColor)
      if (bg[3] > 0) layers.push(bg)
      if (bg[3] === 1) break
    }
    let colour = [255, 255, 255, 1]
    for (const layer of layers.reverse()) colour = over(layer, colour)
    return colour
  }
  const found = []
  for (const element of document.querySelectorAll('body *')) {
    const own = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())
    if (!own || !element.checkVisibility?.() || element.closest('.visually-hidden, .leaflet-container')) continue
    const style = getComputedStyle(element)
    const bg = backdrop(element)
    const fg = over(rgba(style.color), bg)
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x)
    const ratio = (a + 0.05) / (b + 0.05)
    if (ratio < minimum) found.push({ text: element.textContent.trim().slice(0, 40), ratio: Math.round(ratio * 100) / 100, color: style.color, background: `rgb(${bg.slice(0, 3).map(Math.round)})` })
  }
  return found
}"""


def low_contrast(page, minimum: float = 4.5) -> list[dict]:
    """The texts on screen below `minimum`:1 (WCAG AA for body text: 4.5)."""
    return page.evaluate(LOW_CONTRAST_JS, minimum)
