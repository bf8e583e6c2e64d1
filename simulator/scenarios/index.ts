import type { Scenario } from '../scenario.ts'
import { badFirmware } from './bad-firmware.ts'
import { batteryDrain } from './battery-drain.ts'
import { deviceFailure } from './device-failure.ts'
import { emergencyIncident } from './emergency-incident.ts'
import { equipmentTheft } from './equipment-theft.ts'
import { flappingDoor } from './flapping-door.ts'
import { forcedEntry } from './forced-entry.ts'
import { keyNotReturned } from './key-not-returned.ts'
import { normalDay } from './normal-day.ts'
import { reconnectStorm } from './reconnect-storm.ts'
import { stockDepletion } from './stock-depletion.ts'
import { tamper } from './tamper.ts'

export const SCENARIOS: readonly Scenario[] = [
  normalDay,
  emergencyIncident,
  forcedEntry,
  keyNotReturned,
  equipmentTheft,
  stockDepletion,
  deviceFailure,
  batteryDrain,
  tamper,
  flappingDoor,
  badFirmware,
  reconnectStorm,
]

export const SCENARIO_NAMES = SCENARIOS.map((s) => s.name)

export function findScenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name)
  if (!s) throw new Error(`unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`)
  return s
}
