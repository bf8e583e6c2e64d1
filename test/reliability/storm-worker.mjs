// Load generator for the reconnect-storm test, in its own thread so the devices' side
// does not share the service's event loop. Plain JavaScript: worker threads do not
// inherit the TypeScript loader.
import mqtt from 'mqtt'
import { parentPort, workerData } from 'node:worker_threads'

/** @typedef {{ station: string, id: string, secret: string }} Device */
/** @type {{ url: string, devices: Device[] }} */
const { url, devices } = workerData
/** @type {import('mqtt').MqttClient[][]} */
const sessions = [[], []]

/** @template T @param {T[]} items @param {number} n @param {(item: T) => Promise<void>} fn */
async function pool(items, n, fn) {
  let i = 0
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++])
  }))
}

/** @param {Device} d */
async function connect(d) {
  const c = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: d.id,
    username: d.id,
    password: d.secret,
    reconnectPeriod: 0,
    keepalive: 60,
    will: { topic: `stations/${d.station}/devices/${d.id}/status`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
  })
  await c.publishAsync(`stations/${d.station}/devices/${d.id}/status`, JSON.stringify({ online: true, battery: 90 }), { qos: 1, retain: true })
  return c
}

parentPort.on('message', async (/** @type {'connect' | 'storm' | 'close'} */ msg) => {
  const started = Date.now()
  if (msg === 'connect') await pool(devices, 100, async (d) => void sessions[0].push(await connect(d)))
  if (msg === 'storm') {
    // Every device opens a new session at once while its old socket is still half-open.
    await pool(devices, 200, async (d) => void sessions[1].push(await connect(d)))
    for (const c of sessions[0]) c.stream.destroy()
  }
  if (msg === 'close') await Promise.all(sessions.flat().map((c) => c.endAsync(true).catch(() => undefined)))
  parentPort.postMessage({ done: msg, ms: Date.now() - started })
})
