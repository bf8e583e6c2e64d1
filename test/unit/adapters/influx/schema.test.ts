import { createServer } from 'node:http'
import { InfluxDB } from 'influx'
import { expect, test } from 'vitest'
import { clientSchema, MEASUREMENTS } from '../../../../src/adapters/influx/schema.ts'
import { LineEncoder, UniqueNanos } from '../../../../src/adapters/influx/line-protocol.ts'
import * as stores from '../../../ports/reading-stores.ts'
import { parseInfluxUrl } from '../../../../src/adapters/influx/influx-url.ts'
import { durationSeconds } from '../../../../src/adapters/influx/influx-setup.ts'
import { contractMeasurements } from '../../../deploy/contract-measurements.ts'

test("the store's schema has exactly the contract's measurements, tags and fields (plus alert.escalated)", () => {
  const contract = contractMeasurements()
  expect(Object.keys(MEASUREMENTS).sort()).toEqual([...contract.keys()].sort())
  for (const [name, c] of contract) {
    const ours = MEASUREMENTS[name as keyof typeof MEASUREMENTS]
    expect([...ours.tags].sort(), `${name} tags`).toEqual([...c.tags].sort())
    const extra = name === 'alert' ? ['escalated'] : []
    expect(Object.keys(ours.fields).sort(), `${name} fields`).toEqual([...c.fields, ...extra].sort())
  }
})

test('timestamps: ms * 1e6 plus a count within the millisecond, exact past 2^53, unique even when the clock steps back', () => {
  const n = new UniqueNanos()
  expect(n.stamp(1764130000000)).toBe('1764130000000000000')
  expect(n.stamp(1764130000000)).toBe('1764130000000000001')
  expect(n.stamp(1764130000001)).toBe('1764130000001000000')
  // The clock stepped back a millisecond: that millisecond continues where it stopped.
  expect(n.stamp(1764130000000)).toBe('1764130000000000002')
  const seen = new Set<string>()
  for (let i = 0; i < 30_000; i++) seen.add(n.stamp(1764130000000 + (i % 3)))
  expect(seen.size).toBe(30_000)
})

test('INFLUX_URL: database from the path, credentials kept out of the display form', () => {
  expect(parseInfluxUrl('http://127.0.0.1:8086/stationwatch')).toMatchObject({ protocol: 'http', host: '127.0.0.1', port: 8086, database: 'stationwatch' })
  expect(parseInfluxUrl('http://influxdb:8086')).toMatchObject({ database: 'stationwatch', port: 8086 })
  const withAuth = parseInfluxUrl('https://writer:s%40cret@influx.example:8443/sw')
  expect(withAuth).toMatchObject({ protocol: 'https', username: 'writer', password: 's@cret', database: 'sw' })
  expect(withAuth.display).not.toContain('cret')
  expect(() => parseInfluxUrl('http://h:8086/a/b')).toThrow(/database name/)
  expect(() => parseInfluxUrl('ftp://h/db')).toThrow(/http/)
})

test('retention durations compare as InfluxDB reports them', () => {
  expect(durationSeconds('365d')).toBe(durationSeconds('8760h0m0s'))
  expect(durationSeconds('52w')).toBe(durationSeconds('8736h0m0s'))
  expect(durationSeconds('INF')).toBe(durationSeconds('0s'))
})

test("lines are exactly what the influx client's writePoints sends for the same points", async () => {
  let body = ''
  const server = createServer((req, res) => {
    body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => (res.writeHead(204), res.end()))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  try {
    const port = (server.address() as { port: number }).port
    const client = new InfluxDB({ host: '127.0.0.1', port, database: 'x', schema: clientSchema('x') })
    const t = 1764130000000
    const points = [
      stores.doorPoint(t, true),
      stores.doorPoint(t, false, { station: 'we ird,st=a"tion', door: 'd oor' }),
      stores.keyPoint(t + 1, false, { slot: null, user: 'badge "42"\\ and \'quotes\'\nnext line' }),
      stores.keyPoint(t + 1, true),
      stores.itemPoint(t + 2, 30),
      stores.itemPoint(t + 2, false),
      stores.devicePoint(t + 3, true, { battery: 87, rssi: -61 }),
      stores.devicePoint(t + 3, false),
      stores.alertPoint(t + 4, { escalated: true }),
    ]
    const ours = new LineEncoder(MEASUREMENTS, new UniqueNanos())
    const lines = points.map((p) => ours.encode(p))
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
    expect(lines.join('\n')).toBe(body)
    expect(() => ours.encode({ ...stores.doorPoint(t, true), fields: { open: true, extra: 1 } })).toThrow(/extra/)
    expect(() => ours.encode({ ...stores.doorPoint(t, true), fields: { open: 'yes' } })).toThrow(/boolean/)
  } finally {
    server.close()
  }
})
