import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const dir = new URL('../../../src/notify/', import.meta.url)

describe('src/notify', () => {
  it('imports no I/O (no node: modules, adapters, express, ws, aedes, better-sqlite3): clock and timers are injected', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThan(5)
    for (const f of files) {
      const imports = [...readFileSync(new URL(f, dir), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!)
      for (const i of imports) expect(`${f}: ${i}`).toMatch(/: (zod|\.\/[\w-]+\.ts|\.\.\/(alerts\/alert|ports)\.ts)$/)
      expect(readFileSync(new URL(f, dir), 'utf8')).not.toMatch(/Date\.now\(\)|(?<![.\w])(setTimeout|setInterval|fetch)\(/)
    }
  })
})
