/**
 * The baseline: a bare aedes broker (no hooks, default in-memory persistence) on a free
 * loopback port, in its own process, as the service's broker would be without stationwatch.
 */
import { Aedes } from 'aedes'
import { createServer, type AddressInfo } from 'node:net'
import { processProbes, serve } from './child.ts'

const broker = await Aedes.createBroker()
const server = createServer(broker.handle)

serve({
  async start() {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { mqttPort: (server.address() as AddressInfo).port }
  },
  ...processProbes,
  async stop() {
    server.close()
    await new Promise<void>((r) => broker.close(() => r()))
    setImmediate(() => process.exit(0))
  },
})
