import type { AlertRule, Plan } from '../../../simulator/scenario.ts'

export interface JudgedAlert {
  rule: AlertRule
  subject: string
  state: 'active' | 'resolved'
}

/**
 * A small reading of contract §6 applied to a plan's timeline, independent of
 * the simulator's runtime and of the service: which alerts the timeline must
 * raise, and in which state they end. Timed conditions must be clearly on one
 * side of their threshold (≤ ½ or ≥ 1½ of it); anything between is reported in
 * `tooClose`, because the service's timer could go either way.
 */
export function judgePlan(plan: Plan): { alerts: JudgedAlert[]; tooClose: string[] } {
  const { station, rules } = plan
  const thresholdMs = (seconds: number): number => seconds * 1000 * plan.speed
  const alerts = new Map<string, JudgedAlert>()
  const tooClose: string[] = []
  const raise = (rule: AlertRule, subject: string): void => {
    const key = `${rule}|${subject}`
    if (alerts.get(key)?.state !== 'active') alerts.set(key, { rule, subject, state: 'active' })
  }
  const resolve = (rule: AlertRule, subject: string): void => {
    const a = alerts.get(`${rule}|${subject}`)
    if (a) a.state = 'resolved'
  }

  const items = new Map(station.equipment.map((i) => [i.id, i]))
  const keysOut = new Set<string>()
  const doorOpen = new Set<string>()
  let incidentOpen = false
  // Running timers: subject → when its clock started (null while an incident suspends it).
  const timers = new Map<string, { rule: AlertRule; since: number | null; limit: number; suspendable: boolean }>()
  const startTimer = (rule: AlertRule, subject: string, t: number, limitSeconds: number, suspendable: boolean): void => {
    timers.set(`${rule}|${subject}`, { rule, since: suspendable && incidentOpen ? null : t, limit: thresholdMs(limitSeconds), suspendable })
  }
  /** Judges a timer up to `t`; `ends` = the condition cleared at `t`. */
  const judgeTimer = (key: string, t: number, ends: boolean): void => {
    const timer = timers.get(key)
    if (!timer) return
    const subject = key.slice(key.indexOf('|') + 1)
    if (timer.since !== null) {
      const held = t - timer.since
      if (held >= timer.limit * 1.5) raise(timer.rule, subject)
      else if (held > timer.limit * 0.5 + 1e-6 && !alerts.has(key)) tooClose.push(`${key}: held ${held / timer.limit}× its threshold`)
    }
    if (ends) {
      timers.delete(key)
      resolve(timer.rule, subject)
    }
  }

  for (const { t, action } of plan.actions) {
    switch (action.do) {
      case 'take-key':
        keysOut.add(action.key)
        startTimer('key-overdue', `key:${action.key}`, t, rules.keyOverdueSeconds, false)
        break
      case 'return-key':
        keysOut.delete(action.key)
        judgeTimer(`key-overdue|key:${action.key}`, t, true)
        break
      case 'door': {
        const subject = `door:${action.door}`
        if (action.open && !doorOpen.has(action.door)) {
          const keyOut = station.keys.some((k) => k.opens.includes(action.door) && keysOut.has(k.id))
          if (!keyOut) raise('door-forced', subject)
          doorOpen.add(action.door)
          startTimer('door-open-too-long', subject, t, rules.doorOpenMaxSeconds, true)
        } else if (!action.open && doorOpen.has(action.door)) {
          doorOpen.delete(action.door)
          judgeTimer(`door-open-too-long|${subject}`, t, true)
        }
        break
      }
      case 'items':
        for (const [id, v] of Object.entries(action.items)) {
          const item = items.get(id)!
          const subject = `item:${id}`
          if (typeof v === 'number') {
            if (v < item.min!) raise('stock-low', subject)
            else resolve('stock-low', subject)
          } else if (!v && !timers.has(`equipment-missing|${subject}`)) {
            startTimer('equipment-missing', subject, t, rules.equipmentMissingSeconds, true)
          } else if (v) judgeTimer(`equipment-missing|${subject}`, t, true)
        }
        break
      case 'status':
        if (action.tamper) raise('tamper', `device:${action.device}`)
        if (action.battery !== undefined && action.battery < rules.batteryLowPercent) raise('battery-low', `device:${action.device}`)
        if (action.battery !== undefined && action.battery >= rules.batteryLowPercent + 5) resolve('battery-low', `device:${action.device}`)
        break
      case 'drop':
        for (const d of action.devices) raise('device-offline', `device:${d}`)
        break
      case 'rejoin':
        for (const d of action.devices) resolve('device-offline', `device:${d}`)
        break
      case 'incident':
        // While open, equipment-missing and door-open-too-long wait; on close they are judged from that moment.
        for (const [key, timer] of timers) {
          if (!timer.suspendable) continue
          if (action.open) judgeTimer(key, t, false), (timer.since = null)
          else timer.since = t
        }
        incidentOpen = action.open
        break
      case 'announce':
      case 'malformed':
      case 'end':
        break
    }
  }
  for (const key of [...timers.keys()]) judgeTimer(key, plan.end, false)
  return { alerts: [...alerts.values()], tooClose }
}
