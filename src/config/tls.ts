import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { ConfigError } from './env.ts'

export interface TlsPair { cert: Buffer; key: Buffer }

/**
 * Reads a PEM certificate and key named by two environment variables: undefined when neither is set,
 * else both files read and checked now (readable, a certificate, a private key, and a matching
 * pair), so a bad one stops start-up with a message that names the variable rather than failing at
 * the first client's handshake.
 */
export function loadTlsPair(env: Record<string, unknown>, certVar: string, keyVar: string): TlsPair | undefined {
  const certPath = env[certVar] as string | undefined
  const keyPath = env[keyVar] as string | undefined
  if (!certPath && !keyPath) return undefined
  if (!certPath) throw new ConfigError(`environment variable ${certVar}: must be set when ${keyVar} is (the certificate's PEM file)`)
  if (!keyPath) throw new ConfigError(`environment variable ${keyVar}: must be set when ${certVar} is (the private key's PEM file)`)
  const cert = readPem(certVar, certPath)
  const key = readPem(keyVar, keyPath)
  try {
    new X509Certificate(cert)
  } catch (err) {
    throw new ConfigError(`environment variable ${certVar}=${certPath}: not a PEM certificate (${message(err)})`)
  }
  try {
    createPrivateKey(key)
  } catch (err) {
    throw new ConfigError(`environment variable ${keyVar}=${keyPath}: not a PEM private key (${message(err)})`)
  }
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    throw new ConfigError(`environment variable ${keyVar}=${keyPath}: does not match the certificate in ${certVar} (${message(err)})`)
  }
  return { cert, key }
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(`environment variable ${name}=${path}: cannot read the file (${code ?? message(err)})`)
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
