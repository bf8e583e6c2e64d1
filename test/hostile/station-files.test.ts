// Issue 8, hostile input in station files (contract §2, §1 "a bad configuration stops start-up with
// one clear message that names the file and field"): arbitrary bytes, arbitrary JSON and valid files
// with one field mutated, through parseStationFile/loadStations and, in a few cases, the real process.
import fc from 'fast-check'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { ConfigError } from '../../src/config/env.ts'
import { loadStations, parseStationFile } from '../../src/config/stations.ts'
import { stateTopic } from '../helpers/contract.ts'
import { killAllSpawned, spawnService } from '../helpers/process.ts'
import { eventually, startTestService } from '../helpers/service.ts'
import { fixtureStation, tempDir } from '../helpers/station-fixture.ts'
import { watchUnhandled, within } from './hostile-helpers.ts'

const unhandled = watchUnhandled()
afterEach(() => unhandled.check())
afterAll(() => {
  unhandled.uninstall()
  killAllSpawned()
})

const dir = tempDir('sw-hostile-stations-')
let n = 0
function fileWith(content: string | Uint8Array): string {
  const file = join(dir, `s${++n}.json`)
  writeFileSync(file, content)
  return file
}

/** parseStationFile either returns a station or throws a ConfigError naming the file (and a field, for a schema error). */
function parseOutcome(file: string): { ok: true } | { ok: false; message: string } {
  try {
    parseStationFile(file)
    return { ok: true }
  } catch (err) {
    expect(err, `only ConfigError escapes, not ${(err as Error)?.name}: ${(err as Error)?.message}`).toBeInstanceOf(ConfigError)
    const message = (err as ConfigError).message
    expect(message.startsWith(`${file}: `), message).toBe(true)
    expect(message.slice(file.length + 2), 'the message says what is wrong: not JSON, or "<field>: <problem>"').toMatch(/^(not valid JSON \(|cannot read \(|\(root\): |[A-Za-z]+(\..*?)?: )/)
    return { ok: false, message: message.slice(file.length + 2) }
  }
}

const base = () => fixtureStation('filefuzz').json

/** Every path to a value in `v`, for mutation. */
function pathsOf(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = prefix.length ? [prefix] : []
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...prefix, i])))
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]))
  return out
}
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

const oddKeys = fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'prototype', 'id', 'type', 'secretHash', 'x'.repeat(200)))
const oddValues = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>(null, true, 0, -1, 1.5, 1e308, -1e308, '', ' ', 'x'.repeat(100_000), 'UPPER', 'a b', '-leading', 'é', 'Asia/Nowhere', 'sha256:00:00', [], {}, [null], { id: 'x' }),
)

describe('parseStationFile', () => {
  test('arbitrary bytes never escape as anything but a ConfigError that names the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.string({ maxLength: 500, unit: 'binary' }).map((s) => Buffer.from(s))), (bytes) => {
        parseOutcome(fileWith(bytes))
      }),
      { numRuns: 300 },
    )
  })

  test('a file of bad JSON is reported on one line, without echoing its control characters to the terminal', () => {
    // V8's JSON.parse message quotes the start of the text; the file's newlines and escape
    // sequences must not reach stderr as they are ("one clear message", contract §1).
    const file = fileWith('\u001b[2J\u001b[31mOWNED\nline 2')
    const o = parseOutcome(file)
    expect(o.ok).toBe(false)
    if (!o.ok) expect(o.message, JSON.stringify(o.message)).not.toMatch(/[\u0000-\u001f\u007f]/)
  })

  test('arbitrary JSON is refused naming the file and the field (or the root)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const o = parseOutcome(fileWith(JSON.stringify(value) ?? 'null'))
        expect(o.ok).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  test('a valid station with one field deleted, retyped or added is accepted, or refused naming that field', () => {
    const valid = base()
    const paths = pathsOf(valid)
    const containers = [[], ...paths.filter((p) => kindOf(p.reduce((o: any, k) => o[k], valid)) === 'object')]
    type M = { op: 'delete'; path: (string | number)[] } | { op: 'set'; path: (string | number)[]; value: unknown } | { op: 'add'; at: (string | number)[]; key: string; value: unknown }
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...paths) }),
      fc.record({ op: fc.constant('set' as const), path: fc.constantFrom(...paths), value: oddValues }),
      fc.record({ op: fc.constant('add' as const), at: fc.constantFrom(...containers), key: oddKeys, value: oddValues }),
    ) as fc.Arbitrary<M>
    fc.assert(
      fc.property(mutation, (m) => {
        const json = JSON.parse(JSON.stringify(valid))
        let named: string | undefined
        if (m.op === 'add') {
          const target = m.at.reduce((o: any, k) => o[k], json)
          Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true })
        } else {
          const parent = m.path.slice(0, -1).reduce((o: any, k) => o[k], json)
          const key = m.path.at(-1)!
          const before = parent[key]
          if (m.op === 'delete') Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key]
          else {
            parent[key] = m.value
            // A value of another JSON type must be refused right there.
            if (kindOf(before) !== kindOf(m.value) && kindOf(before) !== 'object' && kindOf(before) !== 'array') named = m.path.join('.')
          }
        }
        const o = parseOutcome(fileWith(JSON.stringify(json)))
        if (named) {
          expect(o.ok, `retyped ${named}: ${JSON.stringify(m).slice(0, 200)}`).toBe(false)
          if (!o.ok) expect(o.message.startsWith(named), `"${o.message.slice(0, 200)}" names ${named}`).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })

  test('loadStations with files that clash (same station or device id, in another file) names both files', () => {
    fc.assert(
      fc.property(fc.constantFrom('station', 'device'), fc.nat(3), (what, deviceIndex) => {
        const folder = join(dir, `clash${++n}`)
        mkdirSync(folder)
        const a = base()
        const b = fixtureStation(what === 'station' ? 'filefuzz' : 'other').json
        if (what === 'device') ((b.devices as any[])[deviceIndex]).id = (a.devices as any[])[deviceIndex].id
        writeFileSync(join(folder, 'a.json'), JSON.stringify(a))
        writeFileSync(join(folder, 'b.json'), JSON.stringify(b))
        let message = ''
        try {
          loadStations(folder)
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError)
          message = (err as Error).message
        }
        expect(message).toContain(join(folder, 'a.json'))
        expect(message).toContain(join(folder, 'b.json'))
        expect(message).toMatch(what === 'station' ? /: id: duplicate station id/ : /: devices\.\d+\.id: duplicate device id/)
      }),
      { numRuns: 20 },
    )
  })
})

describe('ids that are names of object properties', () => {
  test('a station whose ids are "constructor", "prototype" and "tostring" starts and applies readings', async () => {
    const st = fixtureStation('constructor')
    const json = st.json as any
    json.doors[0].id = 'prototype'
    json.keys[0].opens = ['prototype']
    json.devices[0].door = 'prototype'
    json.equipment[1].id = 'tostring'
    json.devices[3].items = ['spreader-1', 'tostring', 'water']
    const t = await startTestService({ stations: [st] })
    try {
      const door = await t.device('constructor-door-main')
      await door.publishAsync(stateTopic('constructor', 'constructor-door-main'), JSON.stringify({ ts: Date.now(), seq: 1, open: false }), { qos: 1 })
      const shelf = await t.device('constructor-shelf')
      await shelf.publishAsync(stateTopic('constructor', 'constructor-shelf'), JSON.stringify({ ts: Date.now(), seq: 1, items: { tostring: true, water: 3 } }), { qos: 1 })
      const s = await eventually(async () => {
        const r = await t.api('/api/stations/constructor')
        return r.body?.equipment?.find((e: any) => e.id === 'tostring')?.present === true && r.body
      })
      expect(s.doors.find((d: any) => d.id === 'prototype')).toMatchObject({ open: false, stale: false })
    } finally {
      await t.stop()
    }
  })
})

describe('the real process', () => {
  const env = (stations: string) => ({ HOST: '127.0.0.1', MQTT_PORT: '0', HTTP_PORT: '0', DATA_DIR: tempDir('sw-hostile-proc-'), STATIONS: stations, LOG_LEVEL: 'info', ADMIN_PASSWORD: 'x-admin-password' })
  const cases: [string, string | Buffer, RegExp][] = [
    ['a device with a wrongly typed secretHash', JSON.stringify({ ...base(), devices: [{ ...(base().devices as any[])[0], secretHash: 42 }] }), /: devices\.0\.secretHash: /],
    ['a top-level array', JSON.stringify([base()]), /: \(root\): /],
    ['a file of random bytes', Buffer.from([0x7b, 0xff, 0x00, 0x22, 0x80]), /: not valid JSON/],
    ['a 5 MB station name', JSON.stringify({ ...base(), name: 'x'.repeat(5 * 1024 * 1024), doors: 'none' }), /: doors: /],
  ]
  for (const [what, content, field] of cases) {
    test(`${what} stops start-up with exit code 2 and one line naming the file and the field`, async () => {
      const file = fileWith(content)
      const p = spawnService(env(file))
      const { code } = await within(p.exited, 20_000, 'the process to exit')
      expect(code).toBe(2)
      const lines = p.stderr.filter((l) => l.trim())
      expect(lines, lines.join('\n')).toHaveLength(1)
      expect(lines[0]).toContain(file)
      expect(lines[0]).toMatch(field)
      expect(lines[0]!.length).toBeLessThan(2000)
    }, 30_000)
  }
})
