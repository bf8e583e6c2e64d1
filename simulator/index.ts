/**
 * The device simulator as a library, for the project's integration tests and
 * benchmarks. The CLI (cli.ts) and `npm run demo` (demo.ts) are built on it.
 */
export { startSimulation, type Progress, type SimulationHandle, type SimulationOptions } from './simulation.ts'
export type { Counters } from './counters.ts'
export type { Summary } from './summary.ts'
export { formatSummary } from './summary.ts'
export type { IncidentControl } from './station-runtime.ts'
export { httpIncidents } from './http-incidents.ts'
export type { ExpectedAlert, ExpectedReject, Scenario, AlertRule } from './scenario.ts'
export { Plan, scaledRules } from './scenario.ts'
export { SCENARIOS, SCENARIO_NAMES, findScenario } from './scenarios/index.ts'
export { MALFORMED, MALFORMED_KINDS, type MalformedKind } from './malformed.ts'
export { loadSecrets, loadStationFiles } from './station-files.ts'
export { prepareSyntheticStations, synthesizeStations } from './synthetic-stations.ts'
export type { Station, Rules } from './station.ts'
