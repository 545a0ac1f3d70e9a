// Re-render a region only when its data changed, so a poll does not steal focus or scroll.
const seen = new WeakMap()

export function changed(element, data) {
  const key = JSON.stringify(data)
  if (seen.get(element) === key) return false
  seen.set(element, key)
  return true
}
