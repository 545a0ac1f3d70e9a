// A short message read out by screen readers (role=status, aria-live=polite).
let timer

export function toast(message, kind = 'ok', ms = 4000) {
  const element = document.getElementById('toast')
  if (!element) return
  element.textContent = message
  element.dataset.kind = kind
  element.classList.add('show')
  clearTimeout(timer)
  timer = setTimeout(() => element.classList.remove('show'), ms)
}
