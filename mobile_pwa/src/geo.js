// The phone's position for a proof. Never blocks a delivery: without a fix the proof is saved
// with no position, and the screen says so. `maximumAge: 0`: never a position the browser cached
// (it may be the previous stop's); every stop gets its own fix.
export function locate({ timeout = 15_000, maximumAge = 0 } = {}) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) {
      resolve({ error: 'unsupported' })
      return
    }
    navigator.geolocation.getCurrentPosition(
      (position) =>
        resolve({
          lat: Number(position.coords.latitude.toFixed(6)),
          lon: Number(position.coords.longitude.toFixed(6)),
          accuracy_m: Math.round(position.coords.accuracy * 10) / 10,
          at: position.timestamp,
        }),
      (error) =>
        resolve({ error: { 1: 'denied', 2: 'unavailable', 3: 'timeout' }[error.code] || 'unavailable' }),
      { enableHighAccuracy: true, timeout, maximumAge },
    )
  })
}
