/** What every benchmark gets from the runner, and what it gives back. */
import type { Influxd } from '../../test/helpers/influxd.ts'

export interface BenchContext {
  quick: boolean
  /** write CPU profiles of the service under load into this folder */
  profileDir?: string
  /** a shared influxd, started on first use */
  influxd(): Promise<Influxd>
  log(message: string): void
  /** what one benchmark leaves for a later one (e.g. a data dir with 10,000 devices' state) */
  stash: Map<string, unknown>
  /** runs when the whole suite ends */
  onExit(cleanup: () => void | Promise<void>): void
}

/** One line of the results table. */
export interface Figure {
  metric: string
  /** the figure reported (the median of the repeats where there are several) */
  value: number
  unit: string
  /** lowest and highest of the repeats */
  range?: [number, number]
  target?: string
  /** whether the target is met (undefined when there is none) */
  met?: boolean
  note?: string
}

export interface BenchResult {
  name: string
  title: string
  /** how it was measured, one paragraph, for the Markdown report */
  method: string
  figures: Figure[]
  details: unknown
  seconds?: number
}
