import { SimDevice, type DeviceNetwork, type DeviceReading } from './device.ts'
import { renderMalformed } from './malformed.ts'
import { deriveSeed } from './prng.ts'
import { fullStock, type PlannedAction } from './scenario.ts'
import { effectiveRules, type Station } from './station.ts'

/**
 * Opens and closes incidents on the service (contract §4), for scenarios in which
 * responders declare an emergency. The simulator itself only speaks MQTT, so this
 * comes from outside (see http-incidents.ts).
 */
export interface IncidentControl {
  open(station: string): Promise<string>
  close(incidentId: string): Promise<void>
}

/** One station's devices and the glue that turns planned actions into their messages. */
export class StationRuntime {
  readonly devices: SimDevice[]
  private readonly byId = new Map<string, SimDevice>()
  private readonly keyHome = new Map<string, { device: SimDevice; slot: string }>()
  private readonly doorDevice = new Map<string, SimDevice>()
  private readonly itemReader = new Map<string, SimDevice>()
  private incidentId: string | undefined
  private readonly initialReadings = new Map<SimDevice, string>()

  constructor(
    readonly station: Station,
    secrets: Readonly<Record<string, string>>,
    net: DeviceNetwork,
    seed: number,
    private readonly incidents?: IncidentControl,
  ) {
    const rules = effectiveRules(station)
    const items = new Map(station.equipment.map((i) => [i.id, i]))
    this.devices = station.devices.map((d) => {
      let reading: DeviceReading
      if (d.type === 'door') reading = { type: 'door', open: false }
      else if (d.type === 'keybox') reading = { type: 'keybox', slots: { ...d.slots } }
      else {
        const values: Record<string, boolean | number> = {}
        for (const id of d.items) {
          const item = items.get(id)!
          values[id] = item.min === undefined ? true : fullStock(item)
        }
        reading = { type: 'equipment', items: values }
      }
      const device = new SimDevice(d.id, station.id, reading, secrets[d.id]!, net, deriveSeed(seed, d.id))
      this.initialReadings.set(device, JSON.stringify(reading))
      // Healthy batteries sit well clear of the low-battery rule and its 5-point hysteresis.
      if (device.battery !== undefined) device.battery = Math.min(100, Math.max(device.battery, rules.batteryLowPercent + 20))
      this.byId.set(d.id, device)
      if (d.type === 'door') this.doorDevice.set(d.door, device)
      else if (d.type === 'keybox') for (const [slot, key] of Object.entries(d.slots)) this.keyHome.set(key, { device, slot })
      else for (const id of d.items) this.itemReader.set(id, device)
      return device
    })
  }

  device(id: string): SimDevice {
    const d = this.byId.get(id)
    if (!d) throw new Error(`${this.station.id}: no device "${id}"`)
    return d
  }

  /** Connects the devices one by one, in file order, each reporting its status as it comes up. */
  async connectAll(): Promise<void> {
    for (const d of this.devices) if ((await d.start()) === 'up') await d.publishStatus()
  }

  /**
   * Before the scenario runs again: every reading back to a fully stocked, closed
   * station (the plan assumes it), and devices the last run dropped back online.
   */
  async resetForRepeat(): Promise<void> {
    for (const [device, initial] of this.initialReadings) {
      if (device.reading.type === 'keybox') delete device.reading.user
      Object.assign(device.reading, JSON.parse(initial))
    }
    for (const device of this.devices) if (!device.isUp && (await device.reconnect()) === 'up') await device.publishStatus()
  }

  async heartbeat(device: SimDevice): Promise<void> {
    if (device.isUp) await device.publishStatus()
  }

  async execute(action: PlannedAction): Promise<void> {
    switch (action.do) {
      case 'announce': {
        await this.device(action.device).publishState()
        return
      }
      case 'take-key':
      case 'return-key': {
        const home = this.keyHome.get(action.key)
        if (!home || home.device.reading.type !== 'keybox') throw new Error(`${this.station.id}: key "${action.key}" has no slot`)
        home.device.reading.slots[home.slot] = action.do === 'take-key' ? null : action.key
        home.device.reading.user = action.user
        await home.device.publishState()
        return
      }
      case 'door': {
        const device = this.doorDevice.get(action.door)
        if (!device || device.reading.type !== 'door') throw new Error(`${this.station.id}: door "${action.door}" has no device`)
        device.reading.open = action.open
        await device.publishState({ open: action.open })
        return
      }
      case 'items': {
        // Each reader reports only the items that changed on it ("items not named are unchanged").
        const perReader = new Map<SimDevice, Record<string, boolean | number>>()
        for (const [id, value] of Object.entries(action.items)) {
          const reader = this.itemReader.get(id)
          if (!reader || reader.reading.type !== 'equipment') throw new Error(`${this.station.id}: item "${id}" has no reader`)
          reader.reading.items[id] = value
          perReader.set(reader, { ...perReader.get(reader), [id]: value })
        }
        for (const [reader, items] of perReader) await reader.publishState({ items })
        return
      }
      case 'status': {
        const device = this.device(action.device)
        if (action.battery !== undefined) device.battery = action.battery
        if (action.tamper !== undefined) device.tamper = action.tamper
        await device.publishStatus()
        return
      }
      case 'drop': {
        for (const id of action.devices) await this.device(id).dropUncleanly()
        return
      }
      case 'rejoin': {
        // All connect at once (the storm); then each reports, in file order, so the sequence stays seed-determined.
        const devices = action.devices.map((id) => this.device(id))
        const results = await Promise.all(devices.map((d) => d.reconnect()))
        for (const [i, d] of devices.entries()) if (results[i] === 'up') await d.announce()
        return
      }
      case 'malformed': {
        const device = this.device(action.device)
        const topic = action.topicDevice ? this.device(action.topicDevice).stateTopic : device.stateTopic
        const payload = renderMalformed(action.kind, action.fields, () => ({ ts: device.nextTs(), seq: device.seq++ }), device.lastGood)
        if (action.kind !== 'foreign-topic') {
          await device.publishMalformed(topic, payload)
          return
        }
        // The broker may answer a publish to another device's topic by closing the connection (contract §3).
        device.holdReconnects(true)
        const outcome = await device.publishMalformed(topic, payload)
        if (outcome === 'closed') {
          if ((await device.reconnect()) === 'up') await device.announce()
        } else device.holdReconnects(false)
        return
      }
      case 'incident': {
        if (!this.incidents) throw new Error('this scenario opens incidents: give startSimulation an IncidentControl (CLI: --api)')
        if (action.open) this.incidentId = await this.incidents.open(this.station.id)
        else if (this.incidentId) {
          await this.incidents.close(this.incidentId)
          this.incidentId = undefined
        }
        return
      }
      case 'end':
        return
    }
  }
}
