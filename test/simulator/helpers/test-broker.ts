import { Aedes } from 'aedes'
import { createServer, type AddressInfo } from 'node:net'

export interface Received {
  /** client id of the publisher (the device id: the simulator uses it as client id) */
  from: string
  topic: string
  payload: Buffer
  retain: boolean
  qos: number
  /** published by the broker on the client's behalf after it vanished */
  will: boolean
}

export interface TestBroker {
  url: string
  /** every client publish the broker accepted, wills included, in arrival order */
  received: Received[]
  /** publishes refused by the ACL (the connection was then closed) */
  refused: { from: string; topic: string }[]
  /** CONNECTs accepted, per client id */
  connects: Map<string, number>
  /** connections ended (cleanly or not), per client id */
  disconnects: Map<string, number>
  close(): Promise<void>
}

/**
 * A real aedes broker on an ephemeral loopback port, standing in for the service
 * at the MQTT edge: with `secrets`, it checks credentials like contract §3 and
 * refuses (and disconnects) a publish outside the device's own topics.
 */
export async function startTestBroker(opts: { secrets?: Readonly<Record<string, string>> } = {}): Promise<TestBroker> {
  const received: Received[] = []
  const refused: TestBroker['refused'] = []
  const connects = new Map<string, number>()
  const disconnects = new Map<string, number>()
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      if (!opts.secrets) return done(null, true)
      const ok = username !== undefined && password !== undefined && opts.secrets[username] === password.toString('utf8')
      if (ok) return done(null, true)
      done(Object.assign(new Error('bad username or password'), { returnCode: 4 }), false)
    },
    authorizePublish(client, packet, callback) {
      const own = client && new RegExp(`^stations/[^/]+/devices/${client.id}/(state|status)$`).test(packet.topic)
      if (opts.secrets && client && !own) {
        refused.push({ from: client.id, topic: packet.topic })
        return callback(new Error('not your topic'))
      }
      callback(null)
    },
  })
  broker.on('client', (c) => connects.set(c.id, (connects.get(c.id) ?? 0) + 1))
  broker.on('clientDisconnect', (c) => disconnects.set(c.id, (disconnects.get(c.id) ?? 0) + 1))
  broker.on('publish', (packet, client) => {
    if (!client) return
    // aedes publishes a will with the departed client as publisher, after marking it closed.
    received.push({ from: client.id, topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain, qos: packet.qos, will: client.closed })
  })
  const server = createServer(broker.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `mqtt://127.0.0.1:${port}`,
    received,
    refused,
    connects,
    disconnects,
    close: () =>
      new Promise<void>((resolve) => {
        server.close()
        broker.close(() => resolve())
      }),
  }
}

/** The payload as JSON, or undefined when it is not JSON. */
export function json(r: Received): unknown {
  try {
    return JSON.parse(r.payload.toString('utf8'))
  } catch {
    return undefined
  }
}
