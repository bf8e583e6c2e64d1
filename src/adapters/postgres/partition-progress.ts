import type pg from 'pg'
import type { GroupWriter } from './group-writer.ts'
import { insertRows } from './rows.ts'

/**
 * The last stream sequence applied per partition of the readings stream. Recorded through the
 * group writer in the same turn as the state a reading changed, so both are in one transaction:
 * after a takeover the new owner skips exactly what was applied, nothing twice, nothing lost.
 *
 * Fenced by the owner's epoch (its lease's revision when won): a new owner claims its epoch before
 * it reads the stored state, and a later commit that records progress under an older epoch is
 * refused whole (SQLSTATE SW001, migration 004) — the group writer then fails and the late owner
 * stops, instead of writing stale state over its successor's.
 */
export class PartitionProgress {
  private readonly upsert

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.upsert = writer.latest(
      insertRows('partition_progress', [['partition', 'int4'], ['seq', 'int8'], ['epoch', 'int8']], {
        onConflict: 'ON CONFLICT (partition) DO UPDATE SET seq = GREATEST(partition_progress.seq, excluded.seq), epoch = sw_fence(partition_progress.partition, partition_progress.epoch, excluded.epoch)',
      }),
    )
  }

  record(partition: number, seq: number, epoch: number): void {
    this.upsert(String(partition), () => [partition, seq, epoch])
  }

  /**
   * A new owner's claim: its epoch is stored (from now on older owners' progress commits fail)
   * and the sequence applied so far is returned; `undefined` when a newer owner has claimed already.
   */
  async claim(partition: number, epoch: number): Promise<number | undefined> {
    await this.writer.committed()
    const { rows } = await this.pool.query<{ seq: string; epoch: string }>(
      'INSERT INTO partition_progress (partition, seq, epoch) VALUES ($1, 0, $2) ON CONFLICT (partition) DO UPDATE SET epoch = GREATEST(partition_progress.epoch, excluded.epoch) RETURNING seq, epoch',
      [partition, epoch],
    )
    const row = rows[0]!
    return Number(row.epoch) > epoch ? undefined : Number(row.seq)
  }

  async applied(partition: number): Promise<number> {
    await this.writer.committed()
    const { rows } = await this.pool.query<{ seq: string }>('SELECT seq FROM partition_progress WHERE partition = $1', [partition])
    return rows[0] ? Number(rows[0].seq) : 0
  }
}
