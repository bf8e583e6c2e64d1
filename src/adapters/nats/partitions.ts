import { z } from 'zod'

/**
 * Stations are split into a fixed number of partitions; a station's readings all go to one
 * partition (its subject), so they stay in one order and one instance consumes them.
 * The count is part of the deployment: changing it moves stations between partitions, so only
 * change it with the stream drained (docs/cluster.md).
 */
export const DEFAULT_PARTITIONS = 16

/** The stream's subjects: `sw.r.<partition>.<station>`. */
export const READING_SUBJECT_PREFIX = 'sw.r'

export const partitionCountSchema = z.number().int().min(1).max(1024)

/** Station ids (`^[a-z0-9][a-z0-9-]{0,62}$`) are single subject tokens: no dot, no wildcard. */
const stationToken = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'station: must match ^[a-z0-9][a-z0-9-]{0,62}$')

/**
 * FNV-1a (32 bit) of the station id, modulo the partition count: the same on every instance,
 * every Node version and every restart (unlike anything seeded).
 */
export function partitionOf(station: string, partitions: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < station.length; i++) {
    h ^= station.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % partitions
}

export function readingSubject(station: string, partitions: number): string {
  stationToken.parse(station)
  return `${READING_SUBJECT_PREFIX}.${partitionOf(station, partitions)}.${station}`
}

/** What a partition's consumer filters on. */
export function partitionFilter(partition: number): string {
  return `${READING_SUBJECT_PREFIX}.${partition}.>`
}

/** The station a reading subject names (the last token). */
export function stationOfSubject(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1)
}
