import type { DeviceConfig, StationConfig } from './station.ts'
import { StationModel } from './station-model.ts'
import { StationState } from './station-state.ts'

/** Every configured station's live state, and which station each device belongs to. */
export class Fleet {
  readonly stations = new Map<string, StationState>()
  private readonly deviceIndex = new Map<string, { station: StationState; device: DeviceConfig }>()

  constructor(configs: StationConfig[]) {
    for (const cfg of configs) {
      const state = new StationState(new StationModel(cfg))
      this.stations.set(cfg.id, state)
      for (const d of cfg.devices) this.deviceIndex.set(d.id, { station: state, device: d })
    }
  }

  device(id: string): { station: StationState; device: DeviceConfig } | undefined {
    return this.deviceIndex.get(id)
  }

  get deviceCount(): number {
    return this.deviceIndex.size
  }
}
