// Re-run a task every few seconds while the page is visible (and once as soon as it is again).
export function poll(task, seconds) {
  let timer = null
  let stopped = false

  async function tick() {
    clearTimeout(timer)
    if (stopped) return
    if (document.visibilityState === 'visible') {
      try {
        await task()
      } catch {
        /* the task shows its own errors; keep polling */
      }
    }
    if (!stopped) timer = setTimeout(tick, seconds * 1000)
  }

  function onVisible() {
    if (document.visibilityState === 'visible') tick()
  }

  document.addEventListener('visibilitychange', onVisible)
  tick()
  return {
    now: tick,
    stop() {
      stopped = true
      clearTimeout(timer)
      document.removeEventListener('visibilitychange', onVisible)
    },
  }
}
