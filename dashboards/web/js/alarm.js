// The alarm: a two-tone siren made with WebAudio (no sound files) and a browser notification
// where the user allowed them. Browsers let audio start only after a click or key press, so
// unlockAudio() is called from the login button and the "enable sound" button.

/** @type {AudioContext | null} */
let ctx = null

function context() {
  if (!ctx) {
    const Ctor = window.AudioContext ?? /** @type {any} */ (window).webkitAudioContext
    if (!Ctor) return null
    ctx = new Ctor()
  }
  return ctx
}

/** Call from a user gesture. */
export function unlockAudio() {
  const c = context()
  c?.resume().catch(() => undefined)
}

/** Whether a siren would be heard now (false until the page got a click after loading). */
export function audioReady() {
  return ctx?.state === 'running'
}

/** Plays about 1.5 s of a two-tone siren. */
export function playSiren() {
  document.body.dataset.alarms = String(Number(document.body.dataset.alarms ?? 0) + 1)
  const c = context()
  if (!c) return
  if (c.state !== 'running') c.resume().catch(() => undefined)
  const start = c.currentTime + 0.05
  const osc = c.createOscillator()
  const gain = c.createGain()
  osc.type = 'square'
  for (let i = 0; i < 6; i++) osc.frequency.setValueAtTime(i % 2 ? 660 : 880, start + i * 0.25)
  gain.gain.setValueAtTime(0, start)
  gain.gain.linearRampToValueAtTime(0.15, start + 0.02)
  gain.gain.setValueAtTime(0.15, start + 1.45)
  gain.gain.linearRampToValueAtTime(0, start + 1.5)
  osc.connect(gain).connect(c.destination)
  osc.start(start)
  osc.stop(start + 1.55)
}

export function notificationsSupported() {
  return 'Notification' in window
}

export function notificationsAllowed() {
  return notificationsSupported() && Notification.permission === 'granted'
}

/** Asks for permission (call from a user gesture). */
export async function askForNotifications() {
  if (!notificationsSupported() || Notification.permission !== 'default') return notificationsAllowed()
  return (await Notification.requestPermission()) === 'granted'
}

/**
 * @param {string} title
 * @param {string} body
 * @param {string} tag one notification per alert: a later one for the same alert replaces it
 */
export function notify(title, body, tag) {
  if (!notificationsAllowed()) return
  try {
    const n = new Notification(title, { body, tag, requireInteraction: true })
    n.onclick = () => {
      window.focus()
      location.hash = '#alerts'
      n.close()
    }
  } catch {
    // some browsers allow notifications only from a service worker; the siren and the list remain
  }
}
