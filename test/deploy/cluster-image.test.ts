import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, posix, relative, resolve, sep } from 'node:path'
import { expect, test } from 'vitest'
import { clusterOf, envSchema, parseEnv } from '../../src/config/env.ts'
import { loadStations } from '../../src/config/stations.ts'
import { clusterCompose, INSTANCES, readRepoFile, serviceEnv } from './cluster-compose.ts'
import { ROOT } from './contract-measurements.ts'

/**
 * The image the cluster's instances are built from (Dockerfile) against what
 * docker-compose.cluster.yml runs in it, without a Docker engine: the command's entry and every
 * module it can load are in the image, the npm packages among them are installed by
 * `npm ci --omit=dev`, and the environment (the image's, then the compose file's) is a valid
 * cluster configuration whose directories are in the image or on its volume.
 */

interface Image { workdir: string; env: Record<string, string>; cmd: string[]; volumes: string[]; copies: { sources: string[]; dest: string }[]; installs: string[] }

/** The final stage of the Dockerfile, as far as these checks need it. */
function finalStage(): Image {
  const text = readRepoFile('Dockerfile').replace(/\\\n/g, ' ')
  const stage = text.slice(text.lastIndexOf('\nFROM '))
  const lines = stage.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  const image: Image = { workdir: '/', env: {}, cmd: [], volumes: [], copies: [], installs: [] }
  for (const line of lines) {
    const [, instr, rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? []
    if (instr === 'WORKDIR') image.workdir = posix.resolve(image.workdir, rest)
    if (instr === 'ENV') for (const m of rest.matchAll(/(\w+)=(\S+)/g)) image.env[m[1]!] = m[2]!
    if (instr === 'CMD') image.cmd = JSON.parse(rest) as string[]
    if (instr === 'VOLUME') image.volumes = JSON.parse(rest) as string[]
    if (instr === 'COPY' && rest.startsWith('--from=')) image.installs.push(posix.resolve(image.workdir, rest.split(/\s+/).at(-1)!))
    else if (instr === 'COPY') {
      const parts = rest.split(/\s+/)
      image.copies.push({ sources: parts.slice(0, -1), dest: posix.resolve(image.workdir, parts.at(-1)!) })
    }
  }
  return image
}

const image = finalStage()
const pkg = JSON.parse(readRepoFile('package.json')) as { dependencies: Record<string, string> }
const ignored = readRepoFile('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))

/** The repository file an image path comes from, or undefined when no COPY brings it in. */
function sourceOf(imagePath: string): string | undefined {
  for (const { sources, dest } of image.copies) {
    for (const s of sources) {
      const target = sources.length === 1 && !dest.endsWith('/') ? dest : posix.join(dest, posix.basename(s))
      if (imagePath === target || imagePath.startsWith(`${target}/`)) {
        const file = join(ROOT, s, relative(target, imagePath))
        const rel = relative(ROOT, file).split(sep).join('/')
        return ignored.some((i) => rel === i || rel.startsWith(`${i}/`)) ? undefined : file
      }
    }
  }
  return undefined
}
const imagePathOf = (file: string) => posix.join(image.workdir, relative(ROOT, file).split(sep).join('/'))

const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/')
const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)

/** What a module can load: its imports (type-only ones are erased), requires, and files it names relative to itself. */
function referencesOf(file: string): string[] {
  const code = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of code.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm)) if (!m[1]) out.push(m[2]!)
  for (const m of code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) out.push(m[1]!)
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!)
  for (const m of code.matchAll(/\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!)
  for (const m of code.matchAll(/createRequire\(import\.meta\.url\)\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!)
  for (const m of code.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) out.push(m[1]!.startsWith('.') ? m[1]! : `./${m[1]!}`)
  return out
}

/** Every repository file and npm package reachable from `entry`, and what is missing from the image. */
function reachable(entry: string): { files: Set<string>; packages: Set<string>; missing: string[] } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const missing: string[] = []
  // A directory named at run time (static files, SQL migrations) is read, not imported: its files must be there.
  const visit = (file: string, from: string, asset = false) => {
    if (files.has(file)) return
    const rel = relative(ROOT, file).split(sep).join('/')
    if (rel.startsWith('node_modules/')) return void packages.add(packageOf(rel.slice('node_modules/'.length)))
    if (!existsSync(file)) return void missing.push(`${rel} (named by ${from}) does not exist`)
    if (!sourceOf(imagePathOf(file))) return void missing.push(`${rel} (named by ${from}) is not copied into the image`)
    files.add(file)
    if (statSync(file).isDirectory()) return void readdirSync(file).forEach((f) => visit(join(file, f), rel, true))
    if (asset || !/\.(ts|js|cjs|mjs)$/.test(file)) return
    for (const spec of referencesOf(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec), rel)
      else if (!isBuiltin(spec)) packages.add(packageOf(spec))
    }
  }
  visit(entry, 'the command')
  return { files, packages, missing }
}

test('the instances are built from this Dockerfile and run its command', () => {
  for (const name of INSTANCES) {
    const s = clusterCompose.services[name]!
    expect(s.build).toBe('.')
    expect(s.command, `${name} overrides the image's command`).toBeUndefined()
  }
  expect(image.cmd.slice(0, 3)).toEqual(['node', '--import', 'tsx'])
})

test("everything the command can load is in the image, and its npm packages are production dependencies", () => {
  const entry = sourceOf(posix.resolve(image.workdir, image.cmd.at(-1)!))
  expect(entry, `${image.cmd.at(-1)} is not copied into the image`).toBeDefined()
  const { files, packages, missing } = reachable(entry!)
  expect(missing).toEqual([])
  // The cluster's own modules are among them (a sanity check of the walk itself).
  for (const m of ['src/main.ts', 'src/adapters/nats/connection.ts', 'src/adapters/postgres/migrate.ts', 'src/wiring/cluster/ownership.ts']) expect(files).toContain(join(ROOT, m))
  expect([...files].some((f) => f.includes(`${sep}migrations${sep}`) && f.endsWith('.sql'))).toBe(true)
  expect(image.installs).toContain(posix.join(image.workdir, 'node_modules'))
  const notInstalled = ['tsx', ...packages].filter((p) => !(p in pkg.dependencies))
  expect(notInstalled, 'imported at run time but not in package.json "dependencies" (npm ci --omit=dev leaves them out)').toEqual([])
  expect(packages).toContain('@nats-io/jetstream')
  expect(packages).toContain('pg')
})

test('the environment, the image\'s then the compose file\'s, is a valid cluster configuration with its directories in place', () => {
  const balancer = readRepoFile('deploy/cluster/haproxy.cfg')
  const known = new Set([...Object.keys(envSchema.shape), 'NODE_ENV'])
  expect(Object.keys(image.env).filter((k) => !known.has(k))).toEqual([])
  for (const name of INSTANCES) {
    const env = parseEnv({ ...image.env, ...serviceEnv(name) })
    expect(clusterOf(env)?.instance).toBe(name)
    // The stations the instances start with are in the image, and load.
    const stations = sourceOf(env.STATIONS)
    expect(stations, `STATIONS=${env.STATIONS} is not in the image`).toBeDefined()
    expect(loadStations(stations!).stations.length).toBeGreaterThan(0)
    // The data directory is the image's volume, and the compose file mounts the instance's own there.
    expect(image.volumes).toContain(env.DATA_DIR)
    expect(clusterCompose.services[name]!.volumes).toContain(`${name}-data:${env.DATA_DIR}`)
    expect(clusterCompose.volumes).toHaveProperty(`${name}-data`)
    // The balancer sends MQTT and HTTP to the ports the instance listens on.
    expect(balancer).toContain(`server ${name} ${name}:${env.MQTT_PORT}`)
    expect(balancer).toContain(`server ${name} ${name}:${env.HTTP_PORT}`)
  }
})
