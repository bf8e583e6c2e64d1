import type { IncomingMessage } from 'node:http'

// How a request on the HTTP port says who it is: shared by the REST API and the WebSocket endpoints.

export const SESSION_COOKIE = 'sw_session'

/** Bearer header first, then the session cookie; `?token=` only where a header cannot be set (WebSocket). */
export function tokenOf(req: IncomingMessage, allowQuery = false): string | undefined {
  return credentialOf(req, allowQuery)?.token
}

/**
 * The request's token and where it came from. Only the cookie is sent by a browser on its own
 * (to pages of any origin), so only `via: 'cookie'` is subject to the Origin check.
 */
export function credentialOf(req: IncomingMessage, allowQuery = false): { token: string; via: 'bearer' | 'cookie' | 'query' } | undefined {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) {
    const token = auth.slice(7).trim()
    return token ? { token, via: 'bearer' } : undefined
  }
  const cookie = readCookie(req.headers.cookie, SESSION_COOKIE)
  if (cookie) return { token: cookie, via: 'cookie' }
  if (allowQuery) {
    const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token')
    if (token) return { token, via: 'query' }
  }
  return undefined
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const i = part.indexOf('=')
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim())
      } catch {
        return undefined
      }
    }
  }
  return undefined
}
