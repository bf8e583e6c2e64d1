// The routine's requests (contract §10) and what the page keeps of them: the inspections of each
// station (also used to name an inspection alert's subject), its drills and trainings.
import { query, request } from './api.js'

/**
 * @typedef {{ id: string, text: string }} InspectionItem
 * @typedef {{ id: string, name: string, every: 'day' | 'week' | 'month', due: string, items: InspectionItem[], lastDoneAt: number | null, lastDoneBy: string | null, nextDueAt: number, overdue: boolean }} Inspection
 * @typedef {Record<string, { ok: boolean, note?: string }>} RunResults
 * @typedef {{ id: string, station: string, inspection: string, t: number, by: string, results: RunResults, dueAt?: number, late: boolean }} InspectionRun
 * @typedef {{ user: string, ackedAt: number, secondsToAck: number }} DrillResponse
 * @typedef {{ id: string, station: string, rule: string, alertId: string, startedAt: number, endedAt?: number, startedBy: string, endedBy?: string, note?: string, responses: DrillResponse[] }} Drill
 * @typedef {{ id: string, station: string, date: string, topic: string, participants: string[], hours: number, by: string, t: number }} Training
 * @typedef {{ count: number, medianSeconds: number | null, worstSeconds: number | null }} AckFigure
 * @typedef {AckFigure & { unacknowledged: number, byStation: Record<string, AckFigure>, byRule: Record<string, AckFigure>, byPerson: Record<string, AckFigure> }} AckSide
 * @typedef {{ from: number, to: number, station?: string, real: AckSide, drill: AckSide }} AckTimes
 */

/** The rules a drill may stage (contract §10), door-forced first as the default. */
export const DRILL_RULES = ['door-forced', 'tamper', 'equipment-missing', 'door-open-too-long', 'key-overdue', 'device-offline']

const enc = encodeURIComponent
const st = (/** @type {string} */ station) => `/api/stations/${enc(station)}`

export const routineApi = {
  /** @returns {Promise<Inspection[]>} */
  inspections: (/** @type {string} */ station) => request(`${st(station)}/inspections`),
  /** @returns {Promise<InspectionRun>} */
  submitRun: (/** @type {string} */ station, /** @type {string} */ inspection, /** @type {RunResults} */ results) =>
    request(`${st(station)}/inspections/${enc(inspection)}/runs`, { method: 'POST', body: { results } }),
  /** @returns {Promise<InspectionRun[]>} */
  runs: (/** @type {string} */ station, /** @type {string} */ inspection) => request(`${st(station)}/inspections/${enc(inspection)}/runs${query({ limit: 20 })}`),
  /** @returns {Promise<Drill[]>} */
  drills: (/** @type {string} */ station) => request(`/api/drills${query({ station, limit: 20 })}`),
  /** @returns {Promise<Drill>} */
  startDrill: (/** @type {string} */ station, /** @type {{ rule?: string, note?: string }} */ body) => request(`${st(station)}/drills`, { method: 'POST', body }),
  /** @returns {Promise<Drill>} */
  endDrill: (/** @type {string} */ id) => request(`/api/drills/${enc(id)}/end`, { method: 'POST', body: {} }),
  /** @returns {Promise<Training[]>} */
  trainings: (/** @type {string} */ station) => request(`${st(station)}/trainings`),
  /** @returns {Promise<Training>} */
  addTraining: (/** @type {string} */ station, /** @type {{ date: string, topic: string, participants: string[], hours: number }} */ body) => request(`${st(station)}/trainings`, { method: 'POST', body }),
  /** @returns {Promise<AckTimes>} */
  ackTimes: (/** @type {string} */ station, /** @type {number} */ from, /** @type {number} */ to) => request(`/api/ack-times${query({ station, from, to })}`),
  reportUrl: (/** @type {string} */ station, /** @type {string} */ month) => `${st(station)}/report${query({ month, format: 'xlsx' })}`,
}

/** @type {Map<string, Inspection[]>} */
const inspectionsByStation = new Map()

/** @param {string} station */
export async function loadInspections(station) {
  const list = await routineApi.inspections(station)
  inspectionsByStation.set(station, list)
  return list
}

/**
 * "每周巡检" for `inspection:weekly`, "每周巡检 · 灭火器压力在绿区" for `inspection:weekly:extinguisher`,
 * once the station's inspections were fetched; the ids until then.
 * @param {string} station
 * @param {string} id the subject after `inspection:`
 */
export function inspectionLabel(station, id) {
  const [inspectionId = '', itemId] = id.split(':')
  const insp = inspectionsByStation.get(station)?.find((i) => i.id === inspectionId)
  if (!insp) return id
  if (itemId === undefined) return insp.name
  return `${insp.name} · ${insp.items.find((i) => i.id === itemId)?.text ?? itemId}`
}
