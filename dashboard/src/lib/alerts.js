// New exceptions while the supervisor looks elsewhere: a count in the tab's title ("(2) Hôm nay —
// PostRound") and, if they turned it on (off by default, remembered in this browser), a short tone.
// An exception is "new" until the supervisor is back: the tab visible again, or a click or a key.
const SOUND_KEY = 'postround.dashboard.sound'

export function soundOn() {
  try {
    return localStorage.getItem(SOUND_KEY) === 'on'
  } catch {
    return false
  }
}

export function setSound(on) {
  try {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off')
  } catch {
    // private mode: for this visit only
  }
}

let audio = null
function beep() {
  try {
    audio ??= new AudioContext()
    const tone = audio.createOscillator()
    const gain = audio.createGain()
    tone.frequency.value = 880
    gain.gain.value = 0.15
    tone.connect(gain).connect(audio.destination)
    tone.start()
    tone.stop(audio.currentTime + 0.25)
    window.__postroundBeeps = (window.__postroundBeeps || 0) + 1 // read by the browser tests
  } catch {
    // no audio output: the title badge still says it
  }
}

const keyOf = (e) => `${e.kind}:${e.subject || e.proof_id || e.item?.id || e.postman?.id || ''}`

/** Watch the open exceptions of each poll; `title()` gives the page's own title. */
export function exceptionAlerts(title) {
  let seen = null // the keys the supervisor has seen; null until the first answer
  let current = []
  let fresh = 0

  function show() {
    document.title = fresh ? `(${fresh}) ${title()}` : title()
  }
  function looked() {
    seen = new Set(current)
    fresh = 0
    show()
  }
  const onVisible = () => document.visibilityState === 'visible' && looked()
  document.addEventListener('visibilitychange', onVisible)
  document.addEventListener('pointerdown', looked)
  document.addEventListener('keydown', looked)

  return {
    /** The open exceptions of the latest answer. */
    update(exceptions) {
      current = exceptions.filter((e) => !e.acknowledged).map(keyOf)
      if (seen === null) return looked()
      const count = current.filter((k) => !seen.has(k)).length
      if (count > fresh && soundOn()) beep()
      fresh = count
      show()
    },
    stop() {
      document.removeEventListener('visibilitychange', onVisible)
      document.removeEventListener('pointerdown', looked)
      document.removeEventListener('keydown', looked)
      document.title = title()
    },
  }
}
