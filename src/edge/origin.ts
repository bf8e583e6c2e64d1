import type { IncomingMessage } from 'node:http'

/**
 * Contract v2 A4. A browser sends the session cookie to this service whatever page asks, so a
 * request that rides the cookie is only taken from the service's own pages: its `Origin`, when
 * present, must be this service's origin — the request's Host with the scheme this port serves.
 * (A browser always sends `Origin` on WebSocket upgrades and on cross-origin POSTs.)
 *
 * Behind a reverse proxy the public host and scheme arrive as `X-Forwarded-Host`/`-Proto`; they are
 * accepted as well. That opens nothing: a page elsewhere cannot make a browser send those headers
 * (not on a WebSocket, and not on a cross-origin request without a CORS preflight this service
 * never grants), and a client that is not a browser has no one's cookie to ride.
 */
export function isForeignOrigin(req: IncomingMessage, https: boolean): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return false
  let seen: string
  try {
    seen = new URL(origin).origin // normalises case and default ports (http://h:80 is http://h)
  } catch {
    return true // garbage
  }
  if (seen === 'null') return true // sandboxed pages, file:
  const hosts = [req.headers.host, first(req.headers['x-forwarded-host'])].filter((h): h is string => !!h)
  const schemes = [https ? 'https' : 'http', first(req.headers['x-forwarded-proto'])].filter((p): p is string => p === 'http' || p === 'https')
  for (const host of hosts) {
    for (const scheme of schemes) {
      try {
        if (new URL(`${scheme}://${host}`).origin === seen) return false
      } catch {
        // a malformed Host cannot be ours
      }
    }
  }
  return true
}

/** The first value of a header that proxies may have appended to (`a, b`). */
function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v
  return s?.split(',')[0]?.trim().toLowerCase() || undefined
}
