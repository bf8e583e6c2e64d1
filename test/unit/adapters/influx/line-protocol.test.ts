import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { InfluxDB } from 'influx'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { LineEncoder, UniqueNanos } from '../../../../src/adapters/influx/line-protocol.ts'
import { clientSchema, MEASUREMENTS } from '../../../../src/adapters/influx/schema.ts'
import type { Point } from '../../../../src/ports.ts'

/**
 * The encoder escapes only values that need it and keeps each series' tags encoded between
 * points: whatever the values, its lines must stay exactly what the `influx` client sends.
 */

let body = ''
const server = createServer((req, res) => {
  body = ''
  req.setEncoding('utf8')
  req.on('data', (c: string) => (body += c))
  req.on('end', () => (res.writeHead(204), res.end()))
})
let client: InfluxDB
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  client = new InfluxDB({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, database: 'x', schema: clientSchema('x') })
})
afterAll(() => new Promise((r) => server.close(r)))

/** What the client sends for the points, with the same timestamps. */
async function clientLines(points: Point[]): Promise<string> {
  const stamps = new UniqueNanos()
  await client.writePoints(
    points.map((p) => ({
      measurement: p.measurement,
      tags: Object.fromEntries(Object.keys(p.tags).sort().map((k) => [k, p.tags[k]!])),
      fields: p.fields,
      timestamp: stamps.stamp(p.t),
    })),
    { precision: 'n' },
  )
  return body
}

// Separators and escapes of line protocol and of the client's escapers, among ordinary characters.
const awkward = fc.constantFrom('a', 'Z', '0', '-', ',', '=', ' ', '\\', "'", '"', '\n', 'é', '💡')
const text = fc.oneof(fc.string({ minLength: 1, maxLength: 10, unit: awkward }), fc.string({ minLength: 1, maxLength: 10, unit: 'binary' }))

const point = fc.oneof(
  fc.record({ station: text, door: text, device: text, open: fc.boolean() }).map(
    (v): Point => ({ measurement: 'door', t: 1764130000000, station: v.station, subject: `door:${v.door}`, tags: { station: v.station, door: v.door, device: v.device }, fields: { open: v.open, device_ts: 42 } }),
  ),
  fc.record({ station: text, key: text, slot: fc.option(text), user: fc.option(text) }).map(
    (v): Point => ({ measurement: 'key', t: 1764130000001, station: v.station, subject: `key:${v.key}`, tags: { station: v.station, key: v.key, device: 'kb' }, fields: { present: v.slot !== null, slot: v.slot, user: v.user, device_ts: 7 } }),
  ),
  fc.record({ station: text, item: text, category: text, count: fc.integer({ min: -5, max: 1000 }) }).map(
    (v): Point => ({ measurement: 'item', t: 1764130000002, station: v.station, subject: `item:${v.item}`, tags: { station: v.station, item: v.item, category: v.category, kind: 'supply', device: 'sh' }, fields: { count: v.count, device_ts: 1 } }),
  ),
)

test("any tag and string values: lines are exactly the influx client's, also for series seen before", async () => {
  // One encoder across all runs, so later points meet series kept from earlier ones.
  const ours = new LineEncoder(MEASUREMENTS, new UniqueNanos())
  await fc.assert(
    fc.asyncProperty(fc.array(point, { minLength: 1, maxLength: 20 }), async (points) => {
      const twice = [...points, ...points]
      const fresh = new LineEncoder(MEASUREMENTS, new UniqueNanos())
      const expected = await clientLines(twice)
      expect(twice.map((p) => fresh.encode(p)).join('\n')).toBe(expected)
      // Same points through the long-lived encoder: only the timestamps may differ.
      const strip = (s: string) => s.split('\n').map((l) => l.slice(0, l.lastIndexOf(' ')))
      expect(strip(twice.map((p) => ours.encode(p)).join('\n'))).toEqual(strip(expected))
    }),
    { numRuns: 150 },
  )
})

test('more series than the encoder keeps: lines stay right after it starts over', () => {
  const enc = new LineEncoder(MEASUREMENTS, new UniqueNanos())
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 120_000; i++) {
      const station = `s${i}`
      const line = enc.encode({ measurement: 'door', t: 1764130000000, station, subject: 'door:main', tags: { station, door: 'main', device: `d${i % 7}` }, fields: { open: true, device_ts: i } })
      if (i % 997 === 0) expect(line).toMatch(new RegExp(`^door,device=d${i % 7},door=main,station=s${i} device_ts=${i}i,open=T \\d{19}$`))
    }
  }
})

test('a tag or field outside the schema is refused, a schema tag left undefined is not', () => {
  const enc = new LineEncoder(MEASUREMENTS, new UniqueNanos())
  const door: Point = { measurement: 'door', t: 1764130000000, station: 's', subject: 'door:main', tags: { station: 's', door: 'main', device: 'd' }, fields: { open: true, device_ts: 1 } }
  expect(() => enc.encode({ ...door, tags: { ...door.tags, colour: 'red' } })).toThrow(/tag "colour"/)
  expect(() => enc.encode({ ...door, tags: { ...door.tags, toString: 'x' } })).toThrow(/tag "toString"/)
  expect(() => enc.encode({ ...door, fields: { ...door.fields, extra: undefined as never } })).toThrow(/field "extra"/)
  expect(enc.encode({ ...door, tags: { station: 's', door: 'main', device: undefined as never } })).toMatch(/^door,door=main,station=s open=T,device_ts=1i|^door,door=main,station=s device_ts=1i,open=T /)
})
