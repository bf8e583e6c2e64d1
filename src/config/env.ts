import { hostname } from 'node:os'
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
  /** a folder of `<station>.json` opening-stock files, applied once to a station whose ledger has no history */
  LEDGER_SEED: z.string().min(1).optional(),
  /** alert changes kept for a webhook receiver that is down; past it info, then warning ones are dropped, never critical */
  WEBHOOK_QUEUE_MAX: z.coerce.number().int().min(10, 'must be at least 10').default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: readable lines when stdout is a terminal, JSON otherwise; `json` or `pretty` to choose */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** messages a second one device may send before it is throttled; 0 turns the limit off */
  DEVICE_MAX_MSG_PER_SEC: z.coerce.number().int().min(0).default(50),
  /** a busy station's status is pushed on /ws at most this often (its alerts at once, always) */
  STATUS_PUSH_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(100),
  /** the broker closes a connection whose packet declares a Remaining Length over this, before buffering it */
  MQTT_MAX_PACKET_BYTES: z.coerce.number().int().min(8192, 'must be at least 8192 (payloads of 4 KiB plus topic and headers)').max(268_435_455, 'must be at most 268435455 (the MQTT maximum)').default(65536),
  /** how long a login token lives */
  SESSION_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  /** failed logins per username, and per client address, within LOGIN_WINDOW_SECONDS before 429 */
  LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().positive().default(5),
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().positive().default(50),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().positive().default(15 * 60),
  /** successful logins per client address per minute before 429 (each makes a session) */
  LOGIN_MAX_SUCCESSES_PER_ADDRESS: z.coerce.number().int().positive().default(60),
  /** PEM file paths; both set: MQTT over TLS on MQTTS_PORT (plain MQTT_PORT stays) */
  MQTT_TLS_CERT: z.string().min(1).optional(),
  MQTT_TLS_KEY: z.string().min(1).optional(),
  MQTTS_PORT: port.default(8883),
  /** PEM file paths; both set: HTTP_PORT serves HTTPS (API, dashboard, /ws, /mqtt) instead of HTTP */
  HTTP_TLS_CERT: z.string().min(1).optional(),
  HTTP_TLS_KEY: z.string().min(1).optional(),
  /** the notifications file (contract v2 §B); unset: ./config/notify.json when it exists, else no notifications */
  NOTIFY_CONFIG: z.string().min(1).optional(),
  // ---- cluster mode (contract v2 §F): NATS_URL and DATABASE_URL together, or neither ----
  /** the NATS cluster's servers, comma-separated (any node will do) */
  NATS_URL: z
    .string()
    .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u.length > 0))
    .pipe(z.array(z.string().regex(/^(nats|tls):\/\/[^\s,/]+(:\d+)?$/, 'each entry must look like nats://host:4222')).min(1, 'at least one server'))
    .optional(),
  /** the shared PostgreSQL state store */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must look like postgres://user:password@host:5432/database').optional(),
  /** this instance's name among the cluster's (leases, presence, health) */
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_=-][A-Za-z0-9_=.-]{0,99}$/, 'letters, digits, "-", "_", "=", "." (not first), at most 100')
    .default(() => `${hostname().replace(/[^A-Za-z0-9_=.-]/g, '-').replace(/^\./, '-').slice(0, 80)}-${process.pid}`),
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
  // Cluster mode needs both: readings through NATS with state in one process's SQLite file (or
  // the reverse) would lose what cluster mode promises.
  for (const [set, missing] of [['NATS_URL', 'DATABASE_URL'], ['DATABASE_URL', 'NATS_URL']] as const) {
    if (r.data[set] !== undefined && r.data[missing] === undefined) throw new ConfigError(`environment variable ${missing}: required in cluster mode (${set} is set)`)
  }
  return r.data
}

/** Cluster mode (contract v2 §F) is on when NATS_URL and DATABASE_URL are set. */
export function clusterOf(env: Env): { natsServers: string[]; databaseUrl: string; instance: string } | undefined {
  if (!env.NATS_URL || !env.DATABASE_URL) return undefined
  return { natsServers: env.NATS_URL, databaseUrl: env.DATABASE_URL, instance: env.INSTANCE_ID }
}
