import { connect, createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A TCP relay between a browser and the service (HTTP and WebSocket alike) that can drop the
 * network: `cut()` resets every connection and refuses new ones (a cable pulled, a router
 * rebooting); `blackhole()` keeps connections open but lets nothing through either way and
 * answers nothing (packets silently lost); `restore()` lets traffic through again. The upstream
 * port can change (the service restarted on another port).
 */
export async function startTcpCut(upstreamPort: number): Promise<{ base: string; upstreamPort: number; cut(): void; blackhole(): void; restore(): void; close(): Promise<void> }> {
  const pairs = new Set<[Socket, Socket | null]>()
  const state = { mode: 'pass' as 'pass' | 'cut' | 'blackhole', upstreamPort }
  const server = createServer((client) => {
    if (state.mode === 'cut') return void client.destroy()
    client.on('error', () => undefined)
    if (state.mode === 'blackhole') {
      // accepted, then silence: whatever the browser sends goes nowhere
      const pair: [Socket, Socket | null] = [client, null]
      pairs.add(pair)
      client.on('close', () => pairs.delete(pair))
      return
    }
    const up = connect(state.upstreamPort, '127.0.0.1')
    up.on('error', () => client.destroy())
    client.on('error', () => up.destroy())
    const pair: [Socket, Socket | null] = [client, up]
    pairs.add(pair)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      up.destroy()
    }
    client.on('close', end)
    up.on('close', end)
    client.on('data', (b) => state.mode === 'pass' && up.write(b))
    up.on('data', (b) => state.mode === 'pass' && client.write(b))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const destroyAll = () => {
    for (const [a, b] of pairs) {
      a.destroy()
      b?.destroy()
    }
    pairs.clear()
  }
  return {
    base: `http://127.0.0.1:${port}`,
    get upstreamPort() {
      return state.upstreamPort
    },
    set upstreamPort(p: number) {
      state.upstreamPort = p
    },
    cut() {
      state.mode = 'cut'
      destroyAll()
    },
    blackhole() {
      state.mode = 'blackhole'
    },
    restore() {
      // what was held in silence is gone, as it would be after a long outage
      if (state.mode === 'blackhole') destroyAll()
      state.mode = 'pass'
    },
    async close() {
      destroyAll()
      await new Promise((r) => server.close(r))
    },
  }
}
