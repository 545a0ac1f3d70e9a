// Re-run a task every few seconds while the page is visible (and once as soon as it is again).
// With `hiddenSeconds`, a hidden tab keeps polling, slowly (the Today page's tab-title badge).
export function poll(task, seconds, { hiddenSeconds = null } = {}) {
  let timer = null
  let stopped = false

  async function tick() {
    clearTimeout(timer)
    if (stopped) return
    const visible = document.visibilityState === 'visible'
    if (visible || hiddenSeconds) {
      try {
        await task()
      } catch {
        /* the task shows its own errors; keep polling */
      }
    }
    if (!stopped) timer = setTimeout(tick, (visible || !hiddenSeconds ? seconds : hiddenSeconds) * 1000)
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
