/**
 * The real service (`startService`, as src/main.ts runs it) in a process of its own, driven
 * over IPC by a benchmark: `start` → ports and the in-process start-up time; `gc` (when run with
 * --expose-gc); `heap`; `stop` (flush, close, exit 0).
 */
import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import pino from 'pino'
import { startService, type RunningService } from '../../src/service.ts'
import { processProbes, serve } from './child.ts'

let svc: RunningService | undefined
let inspector: Session | undefined
let eld: IntervalHistogram | undefined

serve({
  async start(a: { env: Record<string, string> }) {
    const t0 = performance.now()
    // The service logs as in production (pino JSON to stdout, which the benchmark discards).
    svc = await startService({ env: a.env, logger: pino({ level: a.env.LOG_LEVEL ?? 'info' }) })
    return { mqttPort: svc.mqttPort, httpPort: svc.httpPort, startupMs: performance.now() - t0, sinceProcessStartMs: performance.now() }
  },
  ...processProbes,
  /** Event-loop delay: `start` resets it; the answer is in ms. */
  eld(a: { start?: boolean }) {
    if (a.start || !eld) {
      eld?.disable()
      eld = monitorEventLoopDelay({ resolution: 5 })
      eld.enable()
      return true
    }
    return { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 }
  },
  /** Starts V8's sampling heap profiler, counting garbage too (where allocations come from). */
  async allocStart() {
    inspector = new Session()
    inspector.connect()
    await inspector.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never)
    return true
  },
  async allocStop(a: { file: string }) {
    const r = (await inspector!.post('HeapProfiler.stopSampling')) as { profile: unknown }
    writeFileSync(a.file, JSON.stringify(r.profile))
    inspector!.disconnect()
    return a.file
  },
  async stop() {
    await svc?.stop()
    setImmediate(() => process.exit(0))
  },
})
