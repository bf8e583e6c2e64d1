import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

/** WebSocket subprotocols MQTT clients offer on `/mqtt` (mqtt.js: `mqtt`, or `mqttv3.1` for MQTT 3.1). */
const MQTT_SUBPROTOCOLS = new Set(['mqtt', 'mqttv3.1'])

/** Whether an upgrade to `/mqtt` is from an MQTT client: it offers the `mqtt` subprotocol (MQTT 3.1.1 §6). */
export function offersMqttSubprotocol(req: IncomingMessage): boolean {
  const offered = req.headers['sec-websocket-protocol']
  if (!offered) return false
  return offered.split(',').some((p) => MQTT_SUBPROTOCOLS.has(p.trim().toLowerCase()))
}

/** Answers an upgrade request with a plain HTTP error and closes the connection. */
export function refuseUpgrade(socket: Duplex, status: 400 | 401 | 404, code: string, message: string): void {
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found' }[status]
  const body = JSON.stringify({ error: { code, message } })
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}
