/**
 * Reads a V8 CPU profile (node --cpu-prof) and says where the time went: self time by
 * function and by file, and inclusive (total) time of the heaviest functions, optionally over
 * a window of the profile only (e.g. the loaded interval, without start-up).
 */
import { readFileSync } from 'node:fs'

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export interface ProfileSummary {
  /** ms of samples considered */
  totalMs: number
  idleMs: number
  gcMs: number
  selfByFunction: { name: string; ms: number; share: number }[]
  selfByFile: { file: string; ms: number; share: number }[]
  totalByFunction: { name: string; ms: number; share: number }[]
}

function shortUrl(url: string): string {
  if (!url) return '(native)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  const src = url.indexOf('/work/main/')
  if (src >= 0) return url.slice(src + 11)
  return url.replace(/^node:/, 'node:')
}

/** `fromShare`..`toShare` of the profile's duration (0..1) is considered. */
export function summarizeProfile(file: string, opts: { fromShare?: number; toShare?: number; top?: number } = {}): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const duration = p.endTime - p.startTime
  const from = p.startTime + duration * (opts.fromShare ?? 0)
  const to = p.startTime + duration * (opts.toShare ?? 1)
  const self = new Map<number, number>()
  let t = p.startTime
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!
    if (t < from || t > to) continue
    const dt = p.timeDeltas[i + 1] ?? 0
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt)
  }
  const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
  const fnSelf = new Map<string, number>()
  const fileSelf = new Map<string, number>()
  const fnTotal = new Map<string, number>()
  let total = 0
  let idle = 0
  let gc = 0
  for (const [id, us] of self) {
    const n = byId.get(id)!
    total += us
    const name = n.callFrame.functionName
    if (name === '(idle)') idle += us
    if (name === '(garbage collector)') gc += us
    fnSelf.set(label(n), (fnSelf.get(label(n)) ?? 0) + us)
    const f = name.startsWith('(') ? name : shortUrl(n.callFrame.url)
    fileSelf.set(f, (fileSelf.get(f) ?? 0) + us)
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!)
      if (seen.has(l)) continue
      seen.add(l)
      fnTotal.set(l, (fnTotal.get(l) ?? 0) + us)
    }
  }
  const busy = total - idle
  const top = opts.top ?? 25
  const list = <K extends string>(m: Map<string, number>, key: K) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ [key]: k, ms: Math.round(us / 1000), share: Math.round((us / busy) * 1000) / 1000 }) as { [P in K]: string } & { ms: number; share: number })
  return {
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    gcMs: Math.round(gc / 1000),
    selfByFunction: list(fnSelf, 'name'),
    selfByFile: list(fileSelf, 'file'),
    totalByFunction: list(fnTotal, 'name').filter((x) => !x.name.startsWith('(root)')),
  }
}

// As a script: node --import tsx bench/lib/profile-summary.ts <file.cpuprofile> [fromShare] [toShare]
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const s = summarizeProfile(process.argv[2]!, { fromShare: Number(process.argv[3] ?? 0), toShare: Number(process.argv[4] ?? 1), top: Number(process.env.TOP ?? 30) })
  console.log(`total ${s.totalMs} ms, idle ${s.idleMs} ms, gc ${s.gcMs} ms`)
  console.log('\nself by file:')
  for (const x of s.selfByFile) console.log(`  ${String(x.ms).padStart(6)} ms ${(x.share * 100).toFixed(1).padStart(5)}%  ${x.file}`)
  console.log('\nself by function:')
  for (const x of s.selfByFunction) console.log(`  ${String(x.ms).padStart(6)} ms ${(x.share * 100).toFixed(1).padStart(5)}%  ${x.name}`)
  console.log('\ntotal (inclusive) by function:')
  for (const x of s.totalByFunction) console.log(`  ${String(x.ms).padStart(6)} ms ${(x.share * 100).toFixed(1).padStart(5)}%  ${x.name}`)
}
