import { AppError } from '../domain/errors.ts'
import type { StationConfig } from '../domain/station.ts'
import type { Clock } from '../ports.ts'
import type { RoutineStore, Training } from './routine-store.ts'

export interface TrainingInput { date: string; topic: string; participants: string[]; hours: number }

/** Training records (培训): what was trained, when, who took part, how long. */
export class TrainingService {
  constructor(
    private readonly stations: Map<string, StationConfig>,
    private readonly store: RoutineStore,
    private readonly clock: Clock,
    private readonly newId: () => string,
  ) {}

  record(stationId: string, input: TrainingInput, by: string): Training {
    const station = this.station(stationId)
    const t = this.clock.now()
    const training: Training = { id: this.newId(), station: station.id, ...input, by, t }
    this.store.addTraining(training, { t, station: station.id, kind: 'training-recorded', subject: `training:${training.id}`, device: '', user: by, value: input.hours, detail: `${input.date} ${input.topic}; ${input.participants.length} participants` })
    return training
  }

  /** Newest date first; `fromDate` inclusive, `toDate` exclusive (YYYY-MM-DD). */
  async list(stationId: string, q: { fromDate?: string; toDate?: string; limit?: number } = {}): Promise<Training[]> {
    const station = this.station(stationId)
    return this.store.trainings({ station: station.id, limit: q.limit ?? 1000, ...(q.fromDate ? { fromDate: q.fromDate } : {}), ...(q.toDate ? { toDate: q.toDate } : {}) })
  }

  private station(id: string): StationConfig {
    const s = this.stations.get(id)
    if (!s) throw new AppError('STATION_UNKNOWN', `no station "${id}"`)
    return s
  }
}
