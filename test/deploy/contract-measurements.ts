import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/**
 * The measurements of contract §7 as written in docs/contract.md, so tests check against the
 * contract's own text: "`door` (t station, door, device; f open, device_ts), …".
 */
export function contractMeasurements(): Map<string, { tags: string[]; fields: string[] }> {
  const doc = readFileSync(`${ROOT}/docs/contract.md`, 'utf8')
  const start = doc.indexOf('## 7.')
  if (start < 0) throw new Error('docs/contract.md has no section 7')
  const section = doc.slice(start).replace(/\s+/g, ' ')
  const out = new Map<string, { tags: string[]; fields: string[] }>()
  for (const m of section.matchAll(/`(\w+)` \(t ([^;)]+); f ([^)]+)\)/g)) {
    const list = (s: string) => s.split(/,| or /).map((x) => x.trim()).filter(Boolean)
    out.set(m[1]!, { tags: list(m[2]!), fields: list(m[3]!) })
  }
  if (out.size === 0) throw new Error('no measurements found in docs/contract.md §7')
  return out
}
