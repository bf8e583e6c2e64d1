// Helpers for the security suites: a self-signed certificate made at test time, an HTTPS client that
// trusts it, and a logger whose every line the test can read.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino, { type Logger } from 'pino'
import { tempDir } from './station-fixture.ts'

export interface TestCert {
  dir: string
  certPath: string
  keyPath: string
  /** the certificate's PEM: self-signed, so it is its own CA */
  ca: Buffer
}

/** A fresh self-signed certificate for localhost and 127.0.0.1, valid for a day (openssl). */
export function makeCert(): TestCert {
  const dir = tempDir('sw-tls-')
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyPath, '-out', certPath], { stdio: 'pipe' })
  return { dir, certPath, keyPath, ca: readFileSync(certPath) }
}

export interface HttpsAnswer { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: any }

/** One HTTPS request that trusts `ca` (fetch cannot be given a CA without another dependency). */
export function httpsFetch(url: string, init: { ca: Buffer; method?: string; headers?: Record<string, string>; body?: unknown }): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body)
    const req = httpsRequest(
      url,
      { method: init.method ?? 'GET', ca: init.ca, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...init.headers } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: unknown
          try {
            body = JSON.parse(text)
          } catch {
            body = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body })
        })
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

/** A pino logger at `trace` that keeps every line it writes. */
export function captureLogger(): { logger: Logger; text(): string; lines(): Record<string, unknown>[] } {
  const chunks: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'))
      cb()
    },
  })
  const logger = pino({ level: 'trace' }, sink)
  const text = () => chunks.join('')
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  }
}
