import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { expect, test } from 'vitest'

const WEB = fileURLToPath(new URL('../../dashboards/web/', import.meta.url))
const UPLOT = fileURLToPath(new URL('../../node_modules/uplot/dist/uPlot.iife.min.js', import.meta.url))

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
}

test('the dashboard JavaScript, uPlot included, stays under 150 KB gzipped', () => {
  const scripts = [...files(WEB).filter((f) => f.endsWith('.js')), UPLOT]
  const gzipped = scripts.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0)
  console.log(`dashboard JS: ${scripts.length} files, ${(gzipped / 1024).toFixed(1)} KB gzipped`)
  expect(gzipped).toBeLessThan(150 * 1024)
})

test('the dashboard refers to nothing outside the service', () => {
  for (const f of files(WEB).filter((x) => /\.(html|js|css)$/.test(x))) {
    const text = readFileSync(f, 'utf8')
    expect(text, f).not.toMatch(/(?:https?:)?\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)+[/:"'`]/i)
  }
})
