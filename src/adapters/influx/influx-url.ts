/** The parts of INFLUX_URL (`http://user:pass@host:8086/database`). */
export interface InfluxTarget {
  protocol: 'http' | 'https'
  host: string
  port: number
  database: string
  username?: string
  password?: string
  /** the URL without credentials, for logs */
  display: string
}

export const DEFAULT_DATABASE = 'stationwatch'

export function parseInfluxUrl(raw: string): InfluxTarget {
  const u = new URL(raw)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`INFLUX_URL=${raw}: must be an http:// or https:// URL`)
  const path = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ''))
  if (path.includes('/')) throw new Error(`INFLUX_URL=${raw}: the path must be just the database name, like /stationwatch`)
  const protocol = u.protocol === 'https:' ? 'https' : 'http'
  const port = u.port ? Number(u.port) : protocol === 'https' ? 443 : 8086
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const database = path || DEFAULT_DATABASE
  return {
    protocol,
    host,
    port,
    database,
    ...(u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
    display: `${protocol}://${u.host}/${database}`,
  }
}
