import type { RunningService } from './service.ts'
import { ConfigError } from './config/env.ts'
import { startService } from './service.ts'

/** Process entry: start, and on SIGTERM/SIGINT stop accepting, flush and exit 0 (1 if the store failed). */
async function main(): Promise<void> {
  let service: RunningService | undefined
  let signalled: string | undefined
  let exitCode = 0

  const shutdown = (svc: RunningService, signal: string) => {
    svc.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => {
      svc.log.error('shutdown took longer than 10 s; exiting')
      process.exit(1)
    }, 10_000)
    force.unref()
    svc.stop().then(
      () => process.exit(exitCode),
      (err: unknown) => {
        svc.log.error({ err }, 'error while stopping')
        process.exit(1)
      },
    )
  }
  // Handlers go in before anything listens: a signal that arrives while we start
  // must still mean "stop cleanly", not Node's default of dying on the spot.
  const onSignal = (signal: string) => {
    if (signalled) return
    signalled = signal
    if (service) shutdown(service, signal)
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))

  try {
    service = await startService({
      env: process.env,
      onFatal: () => {
        exitCode = 1
        onSignal('store-failure')
      },
    })
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`stationwatch: configuration error: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  if (signalled) shutdown(service, signalled)
}

await main()
