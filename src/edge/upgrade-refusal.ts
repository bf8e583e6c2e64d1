import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

/** WebSocket subprotocols MQTT clients offer on `/mqtt` (mqtt.js: `mqtt`, or `mqttv3.1` for MQTT 3.1). */
const MQTT_SUBPROTOCOLS = new Set(['mqtt', 'mqttv3.1'])

/**
 * How long a refused upgrade's connection may stay open after its answer was handed to the kernel.
 * The answer is a few hundred bytes, so it is normally flushed at once; this only bounds a client
 * that never reads (the descriptor is not kept for as long as the client keeps its end).
 */
export const REFUSED_UPGRADE_LINGER_MS = 1000

/** Whether an upgrade to `/mqtt` is from an MQTT client: it offers the `mqtt` subprotocol (MQTT 3.1.1 §6). */
export function offersMqttSubprotocol(req: IncomingMessage): boolean {
  const offered = req.headers['sec-websocket-protocol']
  if (!offered) return false
  return offered.split(',').some((p) => MQTT_SUBPROTOCOLS.has(p.trim().toLowerCase()))
}

const REASONS = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' } as const
export type UpgradeRefusalStatus = keyof typeof REASONS

/**
 * The one way an upgrade is refused: the raw socket gets an error listener first (a client that
 * resets after reading the answer must not end the process), then a plain HTTP answer, then the
 * socket is destroyed as soon as the answer is flushed, and at the latest after
 * REFUSED_UPGRADE_LINGER_MS — a half-closed socket is never kept waiting for the client's end.
 */
export function refuseUpgrade(socket: Duplex, status: UpgradeRefusalStatus, code: string, message: string, headers: Record<string, string> = {}): void {
  socket.on('error', () => socket.destroy())
  if (socket.destroyed) return
  const body = status === 503 ? '{"status":"starting"}' : JSON.stringify({ error: { code, message } })
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  const timer = setTimeout(() => socket.destroy(), REFUSED_UPGRADE_LINGER_MS)
  timer.unref()
  socket.once('close', () => clearTimeout(timer))
  socket.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`, () => socket.destroy())
}
