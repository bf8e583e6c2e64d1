import type { Counters } from './counters.ts'
import type { ExpectedAlert, ExpectedReject } from './scenario.ts'

export interface Summary {
  scenario: string
  seed: number
  speed: number
  stations: number
  devices: number
  /** how many times the scenario ran back to back */
  repetitions: number
  startedAt: string
  /** real time from start to the end of the last station's timeline */
  durationMs: number
  /** longest station timeline, scenario time */
  scenarioMs: number
  /** why the run ended before its timeline did, if it did */
  stoppedEarly?: 'stopped' | 'time-limit'
  counters: Counters
  errors: Record<string, number>
  expectedAlerts: ExpectedAlert[]
  expectedRejects: ExpectedReject[]
}

/** The summary as the CLI prints it: counts first, then what the service should now show. */
export function formatSummary(s: Summary): string {
  const c = s.counters
  const lines = [
    `scenario ${s.scenario}  seed ${s.seed}  speed ×${s.speed}${s.repetitions > 1 ? `  ${s.repetitions} runs` : ''}`,
    `${s.stations} station(s), ${s.devices} device(s), ${formatDuration(s.durationMs)} real, ${formatDuration(s.scenarioMs)} scenario time` +
      (s.stoppedEarly ? `  (ended early: ${s.stoppedEarly})` : ''),
    `messages acknowledged ${c.sent} (state ${c.stateSent}, status ${c.statusSent}); malformed sent ${c.malformedSent}`,
    `refused by broker ${c.rejectedByBroker}, publish timeouts ${c.publishTimeouts}, skipped while offline ${c.skippedOffline}`,
    `connects ${c.connects}, refused ${c.connectRefused}, failed ${c.connectFailed}, unplanned drops ${c.unplannedDisconnects}, connected now ${c.connected}; worst lag ${Math.round(c.maxLagMs)} ms`,
  ]
  const errors = Object.entries(s.errors)
  if (errors.length) lines.push('errors:', ...errors.map(([m, n]) => `  ${n}× ${m}`))
  lines.push(...formatExpectedAlerts(s.expectedAlerts))
  if (s.expectedRejects.length) {
    lines.push(`the service should refuse, ignore or keep as history only ${s.expectedRejects.length} message(s):`)
    const byKind = new Map<string, number>()
    for (const r of s.expectedRejects) byKind.set(`${r.kind} → ${r.outcome}`, (byKind.get(`${r.kind} → ${r.outcome}`) ?? 0) + 1)
    for (const [k, n] of byKind) lines.push(`  ${k}${n > 1 ? ` (×${n})` : ''}`)
  }
  return lines.join('\n')
}

const LIST_LIMIT = 20

export function formatExpectedAlerts(alerts: ExpectedAlert[]): string[] {
  if (alerts.length === 0) return ['expected alerts: none']
  const lines = [`expected alerts (${alerts.length}):`]
  for (const a of alerts.slice(0, LIST_LIMIT)) {
    lines.push(`  ${a.rule} ${a.station}/${a.subject} [${a.severity}] → ${a.state}${a.optional ? ' (may be absent)' : ''} — ${a.why}`)
  }
  if (alerts.length > LIST_LIMIT) lines.push(`  … and ${alerts.length - LIST_LIMIT} more (--json lists them all)`)
  return lines
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`
}
