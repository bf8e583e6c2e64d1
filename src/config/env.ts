import { z } from 'zod'

const port = z.coerce.number().int().min(0, 'must be 0-65535').max(65535, 'must be 0-65535')
const optionalUrl = z
  .string()
  .url('must be a URL')
  .optional()
  .transform((v) => (v === '' ? undefined : v))

/** Environment variables of contract §1, all optional. */
export const envSchema = z.object({
  HOST: z.string().min(1).default('0.0.0.0'),
  MQTT_PORT: port.default(1883),
  HTTP_PORT: port.default(8080),
  DATA_DIR: z.string().min(1).default('./data'),
  STATIONS: z.string().min(1).default('./config/stations'),
  INFLUX_URL: optionalUrl,
  INFLUX_RETENTION: z.string().regex(/^(INF|\d+[hdw])$/, 'must be INF or a duration like 365d').default('365d'),
  /** the InfluxDB write spool's limit; past it the newest readings are dropped, loudly */
  INFLUX_SPOOL_MAX_MB: z.coerce.number().positive().default(1024),
  ADMIN_USER: z.string().min(1).max(64).default('admin'),
  ADMIN_PASSWORD: z.string().min(1).optional(),
  WEBHOOK_URL: optionalUrl,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** messages a second one device may send before it is throttled; 0 turns the limit off */
  DEVICE_MAX_MSG_PER_SEC: z.coerce.number().int().min(0).default(50),
  /** how long a login token lives */
  SESSION_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
})

export type Env = z.infer<typeof envSchema>

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

export function parseEnv(env: Record<string, string | undefined>): Env {
  // Empty variables count as unset, as shells and compose files often leave them so.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const r = envSchema.safeParse(present)
  if (!r.success) {
    const issue = r.error.issues[0]!
    const name = String(issue.path[0] ?? '')
    throw new ConfigError(`environment variable ${name}=${JSON.stringify(present[name] ?? '')}: ${issue.message}`)
  }
  return r.data
}
