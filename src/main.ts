import { ConfigError } from './config/env.ts'
import { startService } from './service.ts'

/** Process entry: start, and on SIGTERM/SIGINT stop accepting, flush and exit 0. */
async function main(): Promise<void> {
  let service
  try {
    service = await startService({ env: process.env })
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`stationwatch: configuration error: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  const shutdown = (signal: string) => {
    service.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => {
      service.log.error('shutdown took longer than 10 s; exiting')
      process.exit(1)
    }, 10_000)
    force.unref()
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        service.log.error({ err }, 'error while stopping')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
}

await main()
