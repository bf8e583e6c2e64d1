import { describe, expect, test } from 'vitest'
import { RECENT_LIMIT, RecentMessages } from '../../../src/domain/recent-messages.ts'
import { stationSchema } from '../../../src/domain/station.ts'
import { StationModel } from '../../../src/domain/station-model.ts'
import { StationState } from '../../../src/domain/station-state.ts'
import { fixtureStation } from '../../helpers/station-fixture.ts'
import { Rng } from '../../../simulator/prng.ts'

const TS = 1_764_130_000_000

/** What the window did before it was a ring of numbers: an array of `seq:ts` strings. */
class StringWindow {
  readonly keys: string[] = []
  has(seq: number, ts: number): boolean {
    return this.keys.includes(`${seq}:${ts}`)
  }
  add(seq: number, ts: number): void {
    this.keys.push(`${seq}:${ts}`)
    if (this.keys.length > RECENT_LIMIT) this.keys.shift()
  }
}

function rng(seed: number): () => number {
  const r = new Rng(seed)
  return () => r.next()
}

describe('the duplicate window', () => {
  test('keeps the last 64 pairs, oldest first, as the snapshot stores them', () => {
    const r = new RecentMessages()
    for (let seq = 1; seq <= RECENT_LIMIT + 6; seq++) r.add(seq, TS + seq)
    expect(r.size).toBe(RECENT_LIMIT)
    const keys = r.toJSON()
    expect(keys).toHaveLength(RECENT_LIMIT)
    expect(keys[0]).toBe(`7:${TS + 7}`)
    expect(keys.at(-1)).toBe(`70:${TS + 70}`)
    expect(r.has(6, TS + 6)).toBe(false) // pushed out
    expect(r.has(7, TS + 7)).toBe(true)
    expect(r.has(70, TS + 70)).toBe(true)
  })

  test('both halves of a pair must match', () => {
    const r = new RecentMessages()
    r.add(5, TS)
    expect(r.has(5, TS)).toBe(true)
    expect(r.has(5, TS + 1)).toBe(false)
    expect(r.has(6, TS)).toBe(false)
    expect(r.has(5, TS - 1)).toBe(false)
  })

  test('an older message is still searched for, even though newer ones were added since', () => {
    const r = new RecentMessages()
    r.add(1, TS + 100)
    r.add(2, TS + 50) // out of order, and remembered
    r.add(3, TS + 200)
    expect(r.has(2, TS + 50)).toBe(true)
    expect(r.has(1, TS + 100)).toBe(true)
    expect(r.has(4, TS + 201)).toBe(false)
  })

  test('answers exactly as the array of strings did, on random streams with repeats, reboots and old clocks', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rnd = rng(seed)
      const ring = new RecentMessages()
      const strings = new StringWindow()
      const sent: [number, number][] = []
      let seq = 0
      let ts = TS
      for (let i = 0; i < 2_000; i++) {
        let pair: [number, number]
        const x = rnd()
        if (x < 0.3 && sent.length) pair = sent[Math.floor(rnd() * sent.length)]!
        else if (x < 0.35) pair = [0, (ts += 1)]
        else if (x < 0.45) pair = [++seq, ts - Math.floor(rnd() * 5_000)]
        else if (x < 0.5) pair = [-0, ts]
        else pair = [++seq, (ts += 1 + Math.floor(rnd() * 10))]
        expect(ring.has(...pair)).toBe(strings.has(...pair))
        if (!strings.has(...pair)) {
          ring.add(...pair)
          strings.add(...pair)
          sent.push(pair)
        }
        if (i % 25 === 0) expect(ring.toJSON()).toEqual(strings.keys)
      }
      expect(ring.toJSON()).toEqual(strings.keys)
    }
  })

  test('restores from the strings a snapshot holds, and writes them back unchanged', () => {
    const keys = Array.from({ length: 10 }, (_, i) => `${i}:${TS + i}`)
    const r = RecentMessages.from(keys)
    expect(r.toJSON()).toEqual(keys)
    expect(r.has(3, TS + 3)).toBe(true)
    expect(r.has(3, TS + 4)).toBe(false)
    r.add(10, TS + 10)
    expect(r.toJSON()).toEqual([...keys, `10:${TS + 10}`])
  })

  test('a restored list longer than the window keeps its newest 64', () => {
    const keys = Array.from({ length: RECENT_LIMIT + 5 }, (_, i) => `${i}:${TS + i}`)
    const r = RecentMessages.from(keys)
    expect(r.toJSON()).toEqual(keys.slice(5))
    expect(r.has(4, TS + 4)).toBe(false)
    expect(r.has(5, TS + 5)).toBe(true)
  })

  test('a stored string no message could have made matches nothing, and is written back as it was', () => {
    const odd = ['007:5', 'x:1', '12', ':3', '4:', `1:${TS}`]
    const r = RecentMessages.from(odd)
    expect(r.has(7, 5)).toBe(false)
    expect(r.has(12, 0)).toBe(false)
    expect(r.has(0, 3)).toBe(false)
    expect(r.has(4, 0)).toBe(false)
    expect(r.has(1, TS)).toBe(true)
    expect(r.toJSON()).toEqual(odd)
  })
})

describe('the duplicate window in the live state and its snapshot', () => {
  const cfg = stationSchema.parse(fixtureStation('dup').json)
  const fresh = () => new StationState(new StationModel(cfg))

  test('is stored as `recent: ["seq:ts", …]`, oldest first, and restored from it', () => {
    const s = fresh()
    for (let seq = 1; seq <= RECENT_LIMIT + 2; seq++) s.remember('dup-door-main', seq, TS + seq, 1)
    const json = JSON.parse(JSON.stringify(s.toJSON())) as { devices: Record<string, { recent: string[] }> }
    const recent = json.devices['dup-door-main']!.recent
    expect(recent).toHaveLength(RECENT_LIMIT)
    expect(recent[0]).toBe(`3:${TS + 3}`)
    expect(recent.at(-1)).toBe(`${RECENT_LIMIT + 2}:${TS + RECENT_LIMIT + 2}`)

    const copy = fresh()
    copy.restore(json as never)
    expect(copy.isDuplicate('dup-door-main', 3, TS + 3)).toBe(true)
    expect(copy.isDuplicate('dup-door-main', 2, TS + 2)).toBe(false)
    expect(JSON.stringify(copy.toJSON())).toBe(JSON.stringify(s.toJSON()))
  })

  test('a snapshot written before the window was a ring (a plain array) restores the same', () => {
    const s = fresh()
    s.restore({ devices: { 'dup-keybox': { online: true, since: 5, recent: [`1:${TS}`, `2:${TS + 1}`], lastTs: TS + 1 } } })
    expect(s.isDuplicate('dup-keybox', 2, TS + 1)).toBe(true)
    expect(s.isDuplicate('dup-keybox', 3, TS + 2)).toBe(false)
    expect(JSON.stringify(s.toJSON().devices)).toBe(`{"dup-keybox":{"online":true,"since":5,"recent":["1:${TS}","2:${TS + 1}"],"lastTs":${TS + 1}}}`)
    // a device stored without a window gets an empty one, at the end, as before
    const t = fresh()
    t.restore({ devices: { 'dup-shelf': { online: false, since: 1 } } })
    expect(JSON.stringify(t.toJSON().devices)).toBe('{"dup-shelf":{"online":false,"since":1,"recent":[]}}')
  })
})
