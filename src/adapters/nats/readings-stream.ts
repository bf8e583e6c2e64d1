import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import { READING_SUBJECT_PREFIX } from './partitions.ts'

export interface ReadingsStreamOptions {
  /** default SW_READINGS */
  name?: string
  /** 3 in a cluster (survives the loss of one node); 1 only for a single test server */
  replicas?: number
  /** how long a message id is remembered, so that a retried append is stored once (default 2 min) */
  duplicateWindowMs?: number
  /** how long readings stay in the log after the owners have stored them (default 24 h) */
  maxAgeMs?: number
}

export const DEFAULT_READINGS_STREAM = 'SW_READINGS'

export function readingsStreamConfig(o: ReadingsStreamOptions = {}): Partial<StreamConfig> & { name: string } {
  return {
    name: o.name ?? DEFAULT_READINGS_STREAM,
    subjects: [`${READING_SUBJECT_PREFIX}.>`],
    // On disk: an acknowledged reading survives a restart of every node, not only the loss of one.
    storage: StorageType.File,
    num_replicas: o.replicas ?? 3,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(o.maxAgeMs ?? 24 * 3600_000),
    duplicate_window: nanos(o.duplicateWindowMs ?? 120_000),
  }
}

/**
 * Creates the stream, or checks the one there: every instance calls this at start, and the first
 * creates it. An existing stream with other subjects or replicas is an error to fix by hand
 * rather than a config to overwrite from whichever instance started last.
 */
export async function ensureReadingsStream(jsm: JetStreamManager, o: ReadingsStreamOptions = {}): Promise<StreamInfo> {
  const want = readingsStreamConfig(o)
  let info: StreamInfo | undefined
  try {
    info = await jsm.streams.info(want.name)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
  if (!info) return jsm.streams.add(want)
  const have = info.config
  if (have.num_replicas !== want.num_replicas || JSON.stringify(have.subjects) !== JSON.stringify(want.subjects)) {
    throw new Error(`stream ${want.name} exists with subjects ${JSON.stringify(have.subjects)} and ${have.num_replicas} replicas; expected ${JSON.stringify(want.subjects)} and ${want.num_replicas}`)
  }
  return info
}

/** The API's answer for a stream or consumer that does not exist. */
export function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound)
}
