/**
 * Which MQTT client ids a device may use (contract §3, v2 A2): its device id, or its device id
 * followed by `-` and 1–32 characters of `[A-Za-z0-9_-]` — and never an id that belongs to another
 * device. aedes hands a session to whoever connects with its client id, taking it from the
 * connection that held it; tying the id to the authenticated username is what keeps one device
 * from taking over another's session (or piling up sessions under fresh ids).
 */
const SUFFIX = /^[A-Za-z0-9_-]{1,32}$/

export type ClientIdVerdict = { ok: true } | { ok: false; reason: string }

/**
 * `isDevice` says whether an id is some device's id. An id such as `door-main-x` is in the form of
 * both `door` and `door-main`; it belongs to the longest device id it starts with (`door-main`),
 * so that `door` cannot reach into `door-main`'s sessions.
 */
export function checkClientId(clientId: string, deviceId: string, clean: boolean, isDevice: (id: string) => boolean): ClientIdVerdict {
  if (clientId === deviceId) return { ok: true }
  if (!clientId.startsWith(`${deviceId}-`) || !SUFFIX.test(clientId.slice(deviceId.length + 1))) {
    return { ok: false, reason: 'the client id must be the device id, or the device id, "-" and 1-32 characters of [A-Za-z0-9_-]' }
  }
  // Another device's id, or one of its own client ids: walk the longer prefixes at each '-'.
  for (let i = clientId.length; i > deviceId.length; i = clientId.lastIndexOf('-', i - 1)) {
    if (isDevice(clientId.slice(0, i))) return { ok: false, reason: 'the client id belongs to another device' }
  }
  if (!clean) return { ok: false, reason: 'a persistent session (clean=false) needs the client id to be the device id' }
  return { ok: true }
}
