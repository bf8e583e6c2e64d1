/** Summarizes a sampling heap profile (V8 HeapProfiler.stopSampling): bytes allocated by function. */
import { readFileSync } from 'node:fs'

interface HNode { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: HNode[] }

export function summarizeAllocations(file: string, top = 30): { name: string; mb: number; share: number }[] {
  const root = (JSON.parse(readFileSync(file, 'utf8')) as { head: HNode }).head
  const by = new Map<string, number>()
  let total = 0
  const walk = (n: HNode) => {
    const url = n.callFrame.url.replace(/^.*\/(node_modules\/[^/]+|src\/.*|bench\/.*)$/, '$1')
    const k = `${n.callFrame.functionName || '(anonymous)'} ${url}`
    by.set(k, (by.get(k) ?? 0) + n.selfSize)
    total += n.selfSize
    for (const c of n.children) walk(c)
  }
  walk(root)
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => ({ name, mb: Math.round(bytes / 1e5) / 10, share: Math.round((bytes / total) * 1000) / 1000 }))
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const x of summarizeAllocations(process.argv[2]!, Number(process.env.TOP ?? 40))) console.log(`${String(x.mb).padStart(8)} MB ${(x.share * 100).toFixed(1).padStart(5)}%  ${x.name}`)
}
