import type { DeviceConfig, StationConfig } from './station.ts'
import { StationModel } from './station-model.ts'
import { StationState } from './station-state.ts'

/** Every configured station's live state, and which station each device belongs to. */
export class Fleet {
  readonly stations = new Map<string, StationState>()
  private readonly deviceIndex = new Map<string, { station: StationState; device: DeviceConfig }>()

  constructor(configs: StationConfig[]) {
    for (const cfg of configs) this.configure(cfg)
  }

  device(id: string): { station: StationState; device: DeviceConfig } | undefined {
    return this.deviceIndex.get(id)
  }

  get deviceCount(): number {
    return this.deviceIndex.size
  }

  /**
   * Adds a station, or replaces one's configuration while it runs (contract v2 §E). The live
   * state of what the new configuration still names is kept (a door still open stays open); what
   * it no longer names is dropped. Returns the new state and the devices that left the station.
   */
  configure(cfg: StationConfig): { state: StationState; removedDevices: string[] } {
    const before = this.stations.get(cfg.id)
    const state = new StationState(new StationModel(cfg))
    const removedDevices: string[] = []
    if (before) {
      state.restore(before.toJSON())
      for (const id of before.model.devices.keys()) {
        if (!state.model.devices.has(id)) removedDevices.push(id)
        this.deviceIndex.delete(id)
      }
    }
    this.stations.set(cfg.id, state)
    for (const d of cfg.devices) this.deviceIndex.set(d.id, { station: state, device: d })
    return { state, removedDevices }
  }
}
