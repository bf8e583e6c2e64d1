import { expect, test } from 'vitest'
import { PartitionProgress } from '../../src/adapters/postgres/partition-progress.ts'
import { PostgresStateStore } from '../../src/adapters/postgres/state-store.ts'
import type { StationSnapshot } from '../../src/domain/station-state.ts'
import { describeWithPostgres, usePostgres } from '../helpers/postgres.ts'

/**
 * Cluster mode's fencing of a late owner (migration 004): two instances on one database, the first
 * owning a partition until the second claims it with a newer lease epoch. The first one's next
 * commit that records progress under its old epoch is refused whole — the station state written
 * with it included — and its writer fails (the service stops), so the new owner continues from
 * exactly what it read when it claimed.
 */
describeWithPostgres('PostgreSQL partition progress', () => {
  const pg = usePostgres()
  const open = async (url: string, onFailure?: (err: Error) => void) => {
    const s = await PostgresStateStore.open({ url, ...(onFailure ? { onFailure } : {}) })
    pg.cleanup(() => s.stop().catch(() => undefined))
    return { store: s, progress: new PartitionProgress(s.pool, s.writer) }
  }
  const snap = (door: boolean) => ({ marker: door }) as unknown as StationSnapshot

  test('a new owner claims a newer epoch; the old owner’s progress commit is then refused with everything in it', async () => {
    const url = await pg.database()
    const failures: Error[] = []
    const a = await open(url, (err) => failures.push(err))
    const b = await open(url)

    expect(await a.progress.claim(3, 10)).toBe(0)
    a.store.records.saveSnapshot('st', () => snap(true))
    a.progress.record(3, 41, 10)
    await a.store.committed()

    // b wins the lease (a newer epoch) and reads what a committed.
    expect(await b.progress.claim(3, 12)).toBe(41)
    expect((await b.store.records.loadSnapshots()).get('st')).toEqual(snap(true))
    // An older claim after it is refused.
    expect(await a.progress.claim(3, 11)).toBeUndefined()

    // a, stalled past its lease, applies one more reading: refused, the snapshot with it too.
    a.store.records.saveSnapshot('st', () => snap(false))
    a.progress.record(3, 42, 10)
    await expect(a.store.committed()).rejects.toThrow(/partition 3 was taken over \(epoch 12 > this instance's 10\)/)
    expect(failures).toHaveLength(1)
    expect((await b.store.records.loadSnapshots()).get('st')).toEqual(snap(true))
    expect(await b.progress.applied(3)).toBe(41)

    // The new owner records under its epoch; other partitions are not fenced by it.
    b.progress.record(3, 43, 12)
    b.progress.record(4, 7, 1)
    await b.store.committed()
    expect(await b.progress.applied(3)).toBe(43)
    expect(await b.progress.applied(4)).toBe(7)
  })
})
