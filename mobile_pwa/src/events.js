// A tiny app-wide event bus: the sync engine and the session announce changes; screens listen.
const bus = new EventTarget()

export function emit(type, detail) {
  bus.dispatchEvent(new CustomEvent(type, { detail }))
}

export function on(type, handler) {
  const listener = (event) => handler(event.detail)
  bus.addEventListener(type, listener)
  return () => bus.removeEventListener(type, listener)
}
