/**
 * What one more connected device costs (issue 14), with heap snapshots: 200 devices connect
 * (with a retained will and a retained online status unless `plain`), then 2,000 more; RSS and the
 * JS heap after a full GC before and after, per device, and (with SNAP=1) a diff of two V8 heap
 * snapshots by constructor, per device. Not part of `npm run bench` (the snapshots take long and
 * inflate RSS; take RSS from a run without SNAP).
 *
 *   node --import tsx bench/memory-per-device.ts service|bare [plain]
 */
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Child } from './lib/child.ts'
import { makeFleet } from './lib/fleet.ts'
import { heapDiff } from './lib/heap-diff.ts'
import { sampleProc } from './lib/proc.ts'
import { sleep } from './lib/stats.ts'
import { startBareBroker, startLoad, startServiceChild } from './lib/targets.ts'

const FIRST = 200
const MORE = 2000
const target = process.argv[2] === 'bare' ? 'bare' : 'service'
const withWill = process.argv[3] !== 'plain'
const snap = Boolean(process.env.SNAP)
const fleet = makeFleet(FIRST + MORE, { rules: { heartbeatSeconds: 86_400 } })

async function settled(child: Child): Promise<{ rssKb: number; heap: NodeJS.MemoryUsage }> {
  await child.request('gc')
  await sleep(300)
  return { rssKb: sampleProc(child.pid).rssKb, heap: await child.request<NodeJS.MemoryUsage>('heap') }
}

const svc = target === 'service' ? await startServiceChild({ stationsDir: fleet.stationsDir }) : undefined
const bare = target === 'bare' ? await startBareBroker() : undefined
const child = svc?.child ?? bare!.child
const port = svc?.mqttPort ?? bare!.mqttPort
const load = startLoad()
const file = (k: string) => join(tmpdir(), `sw-mem-${target}-${k}.heapsnapshot`)
try {
  const connect = (devices: typeof fleet.devices) =>
    load.request('connect', { host: '127.0.0.1', port, devices, keepalive: 60, will: withWill, status: withWill, concurrency: 100, timeoutMs: 30_000 }, 120_000)
  await connect(fleet.devices.slice(0, FIRST))
  await sleep(1000)
  const a = await settled(child)
  if (snap) await child.request('heapSnapshot', { file: file('a') }, 120_000)
  const c = await connect(fleet.devices.slice(FIRST))
  await sleep(2000)
  const b = await settled(child)
  if (snap) await child.request('heapSnapshot', { file: file('b') }, 120_000)
  const kb = (x: number) => (x / 1024 / MORE).toFixed(2)
  console.log(`${target}, ${withWill ? 'will + retained status' : 'no will, no status'}: ${c.connected} more connected (${c.failed} failed)`)
  console.log(`a device: RSS ${((b.rssKb - a.rssKb) / MORE).toFixed(2)} KB, heap used ${kb(b.heap.heapUsed - a.heap.heapUsed)} KB, heap total ${kb(b.heap.heapTotal - a.heap.heapTotal)} KB, external ${kb(b.heap.external - a.heap.external)} KB`)
  if (snap) {
    console.log('bytes  objects  constructor (a device)')
    for (const r of heapDiff(file('a'), file('b'), MORE, 35)) console.log(String(r.bytes).padStart(6), String(r.count).padStart(7), ' ', r.name)
  }
} finally {
  await load.stop().catch(() => undefined)
  await svc?.stop()
  await bare?.stop()
  rmSync(fleet.stationsDir, { recursive: true, force: true })
  if (snap) for (const k of ['a', 'b']) rmSync(file(k), { force: true })
}
