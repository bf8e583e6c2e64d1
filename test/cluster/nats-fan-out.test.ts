import { afterEach, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/transport-node'
import { connectNats } from '../../src/adapters/nats/connection.ts'
import { FanOutBus, type FanOutMessage } from '../../src/adapters/nats/fan-out.ts'
import { describeWithNats, useNatsCluster } from '../helpers/nats.ts'
import { eventually, sleep } from '../helpers/wait.ts'

describeWithNats('cluster: status and alert changes fan out to every instance', () => {
  const nats = useNatsCluster()
  const open: NatsConnection[] = []
  afterEach(async () => {
    for (const nc of open.splice(0)) await nc.close().catch(() => undefined)
  })

  it('a change published on one instance reaches the others (connected to other nodes), in order, and not itself', async () => {
    const buses = await Promise.all(['i1', 'i2', 'i3'].map(async (instance, i) => {
      // Each instance on its own node: the message crosses the cluster's routes.
      const nc = await connectNats({ servers: [nats.cluster.nodes[i]!.url], name: instance })
      open.push(nc)
      const bus = new FanOutBus({ nc, instance })
      const got: FanOutMessage[] = []
      bus.subscribe((m) => got.push(m))
      await bus.ready()
      return { bus, got }
    }))
    const [one, two, three] = buses as [typeof buses[0], typeof buses[0], typeof buses[0]]
    // Subscriptions travel to the other nodes asynchronously: wait until a probe gets through.
    await eventually(() => {
      one.bus.publish('probe', {})
      return two.got.some((m) => m.kind === 'probe') && three.got.some((m) => m.kind === 'probe')
    }, 5000, 'the subscriptions to reach every node')

    for (let n = 0; n < 20; n++) one.bus.publish('station', { id: 'st-north', readiness: n })
    two.bus.publish('alert', { id: 'a-1', state: 'open' })
    await eventually(() => two.got.filter((m) => m.kind === 'station').length === 20 && three.got.filter((m) => m.kind === 'station').length === 20 && one.got.some((m) => m.kind === 'alert'), 5000, 'every change everywhere')
    await sleep(200)
    for (const { got } of [two, three]) {
      const stations = got.filter((m) => m.kind === 'station')
      expect(stations.map((m) => (m.payload as { readiness: number }).readiness)).toEqual(Array.from({ length: 20 }, (_, n) => n))
      expect(stations.every((m) => m.origin === 'i1')).toBe(true)
    }
    // Nobody hears itself.
    expect(one.got.filter((m) => m.origin === 'i1')).toEqual([])
    expect(two.got.filter((m) => m.origin === 'i2')).toEqual([])
    expect(three.got.find((m) => m.kind === 'alert')).toEqual({ kind: 'alert', payload: { id: 'a-1', state: 'open' }, origin: 'i2' })
    expect(() => one.bus.publish('Bad Kind', {})).toThrow(/kind:/)
  })
})
