import pino from 'pino'
import { describe, expect, test } from 'vitest'
import { EventHub } from '../../src/event-hub.ts'
import { Lifecycle, type Part } from '../../src/lifecycle.ts'

const log = pino({ level: 'silent' })

function recorder() {
  const seen: string[] = []
  const part = (name: string, o: { start?: boolean; failStart?: boolean; failStop?: boolean } = {}): Part => ({
    name,
    ...(o.start === false
      ? {}
      : {
          start: async () => {
            await Promise.resolve()
            if (o.failStart) throw new Error(`${name} cannot start`)
            seen.push(`start ${name}`)
          },
        }),
    stop: () => {
      seen.push(`stop ${name}`)
      if (o.failStop) throw new Error(`${name} cannot stop`)
    },
  })
  return { seen, part }
}

describe('Lifecycle', () => {
  test('starts parts in the order they were added and stops them in reverse, once', async () => {
    const { seen, part } = recorder()
    const l = new Lifecycle(log)
    for (const n of ['store', 'engine', 'http']) l.add(part(n))
    await l.start()
    await Promise.all([l.stop(), l.stop()])
    expect(seen).toEqual(['start store', 'start engine', 'start http', 'stop http', 'stop engine', 'stop store'])
  })

  test('a part that fails to start stops every part already holding resources, newest first, and the error comes out', async () => {
    const { seen, part } = recorder()
    const l = new Lifecycle(log)
    l.add(part('db', { start: false })) // opened when built: holds resources from the start
    l.add(part('engine'))
    l.add(part('mqtt', { failStart: true }))
    l.add(part('http'))
    await expect(l.start()).rejects.toThrow('mqtt cannot start')
    expect(seen).toEqual(['start engine', 'stop engine', 'stop db'])
  })

  test('a part that fails to stop does not keep the others up', async () => {
    const { seen, part } = recorder()
    const l = new Lifecycle(log)
    l.add(part('store'))
    l.add(part('broker', { failStop: true }))
    l.add(part('http'))
    await l.start()
    await l.stop()
    expect(seen.filter((s) => s.startsWith('stop'))).toEqual(['stop http', 'stop broker', 'stop store'])
  })
})

describe('EventHub', () => {
  test('listeners hear their event in the order they subscribed, and unsubscribe', () => {
    const hub = new EventHub<{ changed: [id: string, n: number]; other: [] }>()
    const heard: string[] = []
    hub.on('changed', (id, n) => heard.push(`a ${id} ${n}`))
    const off = hub.on('changed', (id) => heard.push(`b ${id}`))
    expect(hub.has('changed')).toBe(true)
    expect(hub.has('other')).toBe(false)
    hub.emit('changed', 'x', 1)
    off()
    hub.emit('changed', 'y', 2)
    hub.emit('other')
    expect(heard).toEqual(['a x 1', 'b x', 'a y 2'])
  })
})
