import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export type FaultMode = 'pass' | 'error-500' | 'hang' | 'reset'

/**
 * An HTTP proxy in front of influxd on a free loopback port that can answer 500, hang, or drop
 * connections, for only the paths asked (by default `/write`), so failures can be made
 * precisely and undone at once.
 */
export async function startFaultProxy(upstream: string): Promise<{ url: string; mode: FaultMode; paths: RegExp; requests: number; close(): Promise<void> }> {
  const target = new URL(upstream)
  const hung = new Set<ServerResponse>()
  const sockets = new Set<Socket>()
  const state = { mode: 'pass' as FaultMode, paths: /^\/write/, requests: 0 }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests++
    const faulty = state.paths.test(req.url ?? '')
    if (faulty && state.mode === 'error-500') {
      req.resume()
      req.on('end', () => {
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'injected failure' }))
      })
      return
    }
    if (faulty && state.mode === 'hang') {
      req.resume()
      hung.add(res)
      return
    }
    if (faulty && state.mode === 'reset') {
      req.socket.destroy()
      return
    }
    const up = request(
      { host: target.hostname, port: Number(target.port), method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      },
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode
    },
    set mode(m: FaultMode) {
      state.mode = m
      if (m !== 'hang') {
        for (const r of hung) r.destroy()
        hung.clear()
      }
    },
    get paths() {
      return state.paths
    },
    set paths(p: RegExp) {
      state.paths = p
    },
    get requests() {
      return state.requests
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}
