import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, expect, test } from 'vitest'
import { Spool } from '../../../../src/adapters/influx/spool.ts'
import { tempDir } from '../../../helpers/station-fixture.ts'

/**
 * The spool writes one JSON string a line without calling JSON.stringify for most lines: what it
 * writes must still be exactly JSON.stringify's, and read back as the lines it was given.
 */

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function openSpool(maxBytes = 64 * 1024 * 1024) {
  const dir = join(tempDir('sw-spool-'), 'influx-spool')
  dirs.push(dir)
  return { dir, spool: await Spool.open({ dir, maxBytes }) }
}

const segmentText = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('')

// Quotes, backslashes, control characters, lone and paired surrogates, among ordinary characters.
const char = fc.constantFrom('a', '=', ',', ' ', '"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', '\u2028', 'é', '\ud800', '\udc00', '💡')
const line = fc.oneof(fc.string({ maxLength: 30, unit: char }), fc.string({ maxLength: 30, unit: 'binary' }), fc.constant('door,device=d,door=main,station=s1 device_ts=1i,open=T 1764130000000000000'))

test('any lines: the spool holds them as JSON.stringify writes them, and gives them back', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), async (lines) => {
      const { dir, spool } = await openSpool()
      await spool.append(lines)
      const expected = lines.map((l) => JSON.stringify(l) + '\n').join('')
      expect(segmentText(dir)).toBe(expected)
      expect(spool.pendingBytes).toBe(Buffer.byteLength(expected))
      const chunk = await spool.read(1000, 1024 * 1024)
      // A lone surrogate cannot survive UTF-8; JSON's \\u escape carries it through.
      expect(chunk?.lines).toEqual(lines)
      await spool.close()
    }),
    { numRuns: 100 },
  )
})

test('a group cut at the size limit keeps the lines that fit whole, as JSON.stringify measures them', async () => {
  const lines = Array.from({ length: 50 }, (_, i) => `key,device=kb,key=k${i},station=s1 present=T,slot="${i}",user="a \\"b\\"" ${i}`)
  const sizes = lines.map((l) => Buffer.byteLength(JSON.stringify(l)) + 1)
  const limit = sizes.slice(0, 20).reduce((a, b) => a + b, 0) + 5
  const { dir, spool } = await openSpool(limit)
  await spool.append(lines)
  expect(spool.overLimit).toBe(true)
  expect(spool.droppedTotal).toBe(30)
  expect(segmentText(dir)).toBe(lines.slice(0, 20).map((l) => JSON.stringify(l) + '\n').join(''))
  await spool.close()
})

test('reads size themselves by the records, yet a record longer than that still comes back whole', async () => {
  const { spool } = await openSpool()
  const long = `key,device=kb,key=k,station=s1 user="${'x'.repeat(2_000_000)}" 1`
  const short = Array.from({ length: 10_000 }, (_, i) => `door,device=d,door=main,station=s1 device_ts=${i}i,open=T ${i}`)
  await spool.append([long, ...short])
  const first = await spool.read(5000, 8 * 1024 * 1024)
  expect(first?.lines[0]).toBe(long)
  expect(first?.lines.slice(1)).toEqual(short.slice(0, first!.lines.length - 1))
  await spool.ack(first!)
  const seen = first!.lines.slice(1)
  for (;;) {
    const chunk = await spool.read(5000, 8 * 1024 * 1024)
    if (!chunk) break
    expect(chunk.lines.length).toBeLessThanOrEqual(5000)
    seen.push(...chunk.lines)
    await spool.ack(chunk)
  }
  expect(seen).toEqual(short)
  expect(spool.isEmpty).toBe(true)
})
