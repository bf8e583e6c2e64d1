/** An HTTP error answer from the service: its status and `error.code` (contract §4). */
export class ServiceApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message)
  }
}

export interface ServiceApi {
  call(method: string, path: string, body?: unknown): Promise<unknown>
}

/**
 * The service's HTTP API as one account (contract §4): logs in with POST /api/auth/login on first
 * use, then sends the token as `Authorization: Bearer`.
 */
export function serviceApi(opts: { baseUrl: string; username: string; password: string }): ServiceApi {
  const base = opts.baseUrl.replace(/\/+$/, '')
  let token: string | undefined
  // One login for every caller: parallel logins would each count as a failure until verified (the
  // service's login throttle), and a burst of them is refused.
  let loggingIn: Promise<void> | undefined

  const send = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) {
      let code: string | undefined
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code
      } catch {
        code = undefined
      }
      throw new ServiceApiError(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`, res.status, code)
    }
    return text ? JSON.parse(text) : undefined
  }
  const login = async (): Promise<void> => {
    const r = (await send('POST', '/api/auth/login', { username: opts.username, password: opts.password })) as { token?: unknown }
    if (typeof r?.token !== 'string') throw new Error('POST /api/auth/login: no token in the answer')
    token = r.token
  }
  return {
    async call(method, path, body) {
      if (!token) {
        loggingIn ??= login().finally(() => (loggingIn = undefined))
        await loggingIn
      }
      return send(method, path, body)
    },
  }
}
