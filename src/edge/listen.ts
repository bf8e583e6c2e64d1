import type { Server as HttpServer } from 'node:http'
import type { Server } from 'node:net'
import { ConfigError } from '../config/env.ts'

/** Listens, or fails start-up with a message that names the variable that chose the port. */
export function listen(server: Server | HttpServer, port: number, host: string, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new ConfigError(`${name}=${port}: cannot listen on ${host}:${port} (${err.code === 'EADDRINUSE' ? 'address already in use' : (err.code ?? err.message)})`))
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : port)
    })
  })
}

/** Stops accepting and resolves once every connection has ended (idle keep-alive ones are closed at once). */
export function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    if ('closeAllConnections' in server) server.closeAllConnections()
  })
}
