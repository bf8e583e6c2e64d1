import { Router, type Request } from 'express'
import { z } from 'zod'
import type { StationCatalogue } from '../../../app/station-catalogue.ts'
import type { Accounts } from '../../../auth/accounts.ts'
import type { DeviceConfig, StationConfig } from '../../../domain/station.ts'
import { idSchema } from '../../../domain/station.ts'
import { requireRole } from '../auth-middleware.ts'
import { parseRequest } from '../validate.ts'

/** What the routes need of the catalogue. */
export type StationAdmin = Pick<StationCatalogue, 'mustGet' | 'create' | 'replace' | 'addDevice' | 'rotateSecret' | 'disable'>

/**
 * A JSON object, kept as it came (own `__proto__` and `constructor` keys included, so that the
 * strict station checks refuse them by name rather than a copy dropping them); what is in it is
 * checked as a station file is, and the catalogue names the field.
 */
const objectBody = (refuse: Record<string, string>) =>
  z.custom<Record<string, unknown>>((b) => typeof b === 'object' && b !== null && !Array.isArray(b), 'must be a JSON object').superRefine((b, ctx) => {
    for (const [key, message] of Object.entries(refuse)) if (Object.hasOwn(b, key)) ctx.addIssue({ code: 'custom', path: [key], message })
  })
const stationBody = objectBody({ devices: 'not taken here: add devices with POST /api/stations/:id/devices' })
const deviceBody = objectBody({
  secretHash: 'not taken: the service makes the secret and shows it once',
  disabled: 'not taken: disable a device with POST /api/devices/:id/disable',
})
const stationParams = z.object({ id: idSchema })

/**
 * Stations and devices through the API (contract v2 §E), for admins: each change takes effect at
 * once, is stored, and is an audit event with who made it. A device's secret is in the answer
 * that made it and nowhere else; only its hash is kept.
 */
export function stationAdminRoutes(accounts: Accounts, catalogue: StationAdmin): Router {
  const r = Router()
  const admin = requireRole(accounts, 'admin')
  const who = (req: Request) => req.user!.name

  r.post('/api/stations', admin, (req, res) => {
    const body = parseRequest(stationBody, req.body, 'body')
    res.status(201).json(publicStation(catalogue.create(body, who(req))))
  })

  r.put('/api/stations/:id', admin, (req, res) => {
    const { id } = parseRequest(stationParams, req.params, 'params')
    const body = parseRequest(stationBody, req.body, 'body')
    res.json(publicStation(catalogue.replace(id, body, who(req))))
  })

  r.get('/api/stations/:id/config', admin, (req, res) => {
    const { id } = parseRequest(stationParams, req.params, 'params')
    res.setHeader('Content-Disposition', `attachment; filename="${id}.json"`)
    res.json(catalogue.mustGet(id))
  })

  r.post('/api/stations/:id/devices', admin, (req, res) => {
    const { id } = parseRequest(stationParams, req.params, 'params')
    const body = parseRequest(deviceBody, req.body, 'body')
    const { device, secret } = catalogue.addDevice(id, body, who(req))
    res.status(201).json({ device: publicDevice(device), secret })
  })

  r.post('/api/devices/:id/rotate-secret', admin, (req, res) => {
    const { id } = parseRequest(stationParams, req.params, 'params')
    const { device, secret } = catalogue.rotateSecret(id, who(req))
    res.json({ device: publicDevice(device), secret })
  })

  r.post('/api/devices/:id/disable', admin, (req, res) => {
    const { id } = parseRequest(stationParams, req.params, 'params')
    res.json({ device: publicDevice(catalogue.disable(id, who(req))) })
  })

  return r
}

/** The station-file form, its devices without their secret hashes (those only in `GET …/config`). */
function publicStation(s: StationConfig): Omit<StationConfig, 'devices'> & { devices: ReturnType<typeof publicDevice>[] } {
  return { ...s, devices: s.devices.map(publicDevice) }
}

function publicDevice(d: DeviceConfig): Omit<DeviceConfig, 'secretHash'> {
  const { secretHash: _hidden, ...rest } = d
  return rest
}
