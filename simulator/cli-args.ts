import { parseArgs } from 'node:util'
import { z } from 'zod'
import { SCENARIO_NAMES } from './scenarios/index.ts'

/** Bounds of one run from the CLI: big enough for 10,000+ devices, small enough to stay on one box. */
export const MAX_STATIONS = 2000
export const MAX_SPEED = 100_000
/** A load run (--stations N) ends after this many real seconds unless --max-seconds says otherwise. */
export const DEFAULT_LOAD_MAX_SECONDS = 1800

export const USAGE = `usage: npm run simulate -- --scenario NAME [options]

  --scenario NAME         ${SCENARIO_NAMES.join(', ')}
  --station ID            only this station of --stations-dir (default: every station there)
  --stations N            load mode: generate N stations shaped like the demo station (1-${MAX_STATIONS}),
                          write them to --stations-dir for the service (STATIONS=<dir>) and drive them all
  --speed X               scenario time runs X times faster than real time (default 60)
  --seed S                same seed, same messages (integer, default 1)
  --url URL               broker (default mqtt://127.0.0.1:1883)
  --stations-dir DIR      station files (default config/stations; load mode: data/sim-stations)
  --secrets FILE          device id → secret (default simulator/demo-secrets.json;
                          load mode: data/sim-stations.secrets.json)
  --repeat N              run the scenario N times back to back (default 1)
  --max-seconds S         stop after S real seconds (load mode default ${DEFAULT_LOAD_MAX_SECONDS})
  --connect-concurrency N CONNECTs in flight at once (default 50)
  --api URL               the service's HTTP API, for scenarios that open incidents (emergency-incident);
                          logs in as --api-user (default admin) with the password in the environment
                          variable STATIONWATCH_API_PASSWORD (or ADMIN_PASSWORD)
  --provision             load mode: create the stations and their devices through the admin API of
                          the running service at --api (POST /api/stations, …/devices) instead of
                          writing station files; devices connect with the secrets it issues (kept in
                          --secrets). Logs in as --api-user with STATIONWATCH_API_PASSWORD (or ADMIN_PASSWORD)
  --generate-only         load mode: write the station files and secrets (with --provision: create
                          them in the service), then exit
  --json                  print the final summary as JSON
  --list                  list the scenarios with what each does and expects
  --help`

const intArg = (flag: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${flag}: must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${flag}: must be between ${min} and ${max}`)

const argsSchema = z
  .object({
    scenario: z.string().optional(),
    station: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, '--station: not a station id').optional(),
    stations: intArg('--stations', 1, MAX_STATIONS).optional(),
    speed: z
      .string()
      .regex(/^\d+(\.\d+)?$/, '--speed: must be a positive number')
      .transform(Number)
      .refine((n) => n > 0 && n <= MAX_SPEED, `--speed: must be above 0 and at most ${MAX_SPEED}`)
      .default(60),
    seed: intArg('--seed', 0, 0xffffffff).default(1),
    url: z.string().regex(/^(mqtts?|wss?):\/\/[^/\s:]+(:\d+)?(\/\S*)?$/, '--url: must look like mqtt://host:port').default('mqtt://127.0.0.1:1883'),
    'stations-dir': z.string().min(1, '--stations-dir: must not be empty').optional(),
    secrets: z.string().min(1, '--secrets: must not be empty').optional(),
    repeat: intArg('--repeat', 1, 1_000_000).default(1),
    'max-seconds': intArg('--max-seconds', 1, 7 * 24 * 3600).optional(),
    'connect-concurrency': intArg('--connect-concurrency', 1, 10_000).default(50),
    api: z.string().regex(/^https?:\/\/[^/\s]+/, '--api: must look like http://host:port').optional(),
    'api-user': z.string().min(1).default('admin'),
    'generate-only': z.boolean().default(false),
    provision: z.boolean().default(false),
    json: z.boolean().default(false),
    list: z.boolean().default(false),
    help: z.boolean().default(false),
  })
  .superRefine((a, ctx) => {
    const fail = (message: string): void => void ctx.addIssue({ code: 'custom', message })
    if (a.station !== undefined && a.stations !== undefined) fail('--station and --stations: give one or the other (one station of a folder, or N generated ones)')
    if (a['generate-only'] && a.stations === undefined) fail('--generate-only: only with --stations N')
    if (a.provision && a.stations === undefined) fail('--provision: only with --stations N (load mode)')
    if (a.provision && a.api === undefined) fail('--provision: give --api http://host:port (the service to create the stations in)')
    if (a.scenario !== undefined && !SCENARIO_NAMES.includes(a.scenario)) fail(`--scenario: unknown scenario "${a.scenario}" (known: ${SCENARIO_NAMES.join(', ')})`)
    if (!a.scenario && !a.list && !a.help && !a['generate-only']) fail('--scenario: required (see --list)')
  })

export type CliArgs = z.infer<typeof argsSchema> & { load: boolean; stationsDir: string; secretsFile: string; maxSeconds: number | undefined }

/** Parses argv (without node and script); throws an Error whose message names the flag. */
export function parseCliArgs(argv: string[]): CliArgs {
  let values: Record<string, string | boolean | undefined>
  try {
    const str = { type: 'string' } as const
    const bool = { type: 'boolean' } as const
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        scenario: str, station: str, stations: str, speed: str, seed: str, url: str, 'stations-dir': str, secrets: str,
        repeat: str, 'max-seconds': str, 'connect-concurrency': str, api: str, 'api-user': str,
        'generate-only': bool, provision: bool, json: bool, list: bool, help: bool,
      },
    }).values
  } catch (err) {
    // node's first line names the option already ("Unknown option '--sped'"); the rest is about its own syntax.
    throw new Error(`${(err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, '.')} (see --help)`)
  }
  const r = argsSchema.safeParse(values)
  if (!r.success) throw new Error(r.error.issues.map((i) => i.message).join('\nsimulate: '))
  const a = r.data
  const load = a.stations !== undefined
  return {
    ...a,
    load,
    stationsDir: a['stations-dir'] ?? (load ? 'data/sim-stations' : 'config/stations'),
    secretsFile: a.secrets ?? (load ? `${(a['stations-dir'] ?? 'data/sim-stations').replace(/\/+$/, '')}.secrets.json` : 'simulator/demo-secrets.json'),
    maxSeconds: a['max-seconds'] ?? (load ? DEFAULT_LOAD_MAX_SECONDS : undefined),
  }
}
