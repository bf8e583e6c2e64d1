/**
 * What a heap grew by between two V8 heap snapshots, by constructor (or by kind for strings,
 * arrays, closures and code): objects and self size. For finding what each connection keeps.
 */
import { readFileSync } from 'node:fs'

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

export function heapByConstructor(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
  const f = s.snapshot.meta.node_fields
  const width = f.length
  const iType = f.indexOf('type')
  const iName = f.indexOf('name')
  const iSize = f.indexOf('self_size')
  const types = s.snapshot.meta.node_types[0]
  const out = new Map<string, { count: number; bytes: number }>()
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!
    const name = type === 'object' || type === 'native' ? s.strings[s.nodes[i + iName]!]! : `(${type})`
    const e = out.get(name) ?? { count: 0, bytes: 0 }
    e.count++
    e.bytes += s.nodes[i + iSize]!
    out.set(name, e)
  }
  return out
}

/** Growth from `a` to `b` per constructor, largest first, per `per` (e.g. per connection). */
export function heapDiff(a: string, b: string, per = 1, top = 30): { name: string; count: number; bytes: number }[] {
  const before = heapByConstructor(a)
  const after = heapByConstructor(b)
  const rows: { name: string; count: number; bytes: number }[] = []
  for (const [name, e] of after) {
    const o = before.get(name) ?? { count: 0, bytes: 0 }
    rows.push({ name, count: Math.round(((e.count - o.count) / per) * 100) / 100, bytes: Math.round((e.bytes - o.bytes) / per) })
  }
  return rows.sort((x, y) => y.bytes - x.bytes).slice(0, top)
}
