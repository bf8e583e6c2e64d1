import type pg from 'pg'
import type { GroupWriter } from './group-writer.ts'
import { insertRows } from './rows.ts'

/**
 * The last stream sequence applied per partition of the readings stream. Recorded through the
 * group writer in the same turn as the state a reading changed, so both are in one transaction:
 * after a takeover the new owner skips exactly what was applied, nothing twice, nothing lost.
 */
export class PartitionProgress {
  private readonly upsert

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: GroupWriter,
  ) {
    this.upsert = writer.latest(
      insertRows('partition_progress', [['partition', 'int4'], ['seq', 'int8']], { onConflict: 'ON CONFLICT (partition) DO UPDATE SET seq = GREATEST(partition_progress.seq, excluded.seq)' }),
    )
  }

  record(partition: number, seq: number): void {
    this.upsert(String(partition), () => [partition, seq])
  }

  async applied(partition: number): Promise<number> {
    await this.writer.committed()
    const { rows } = await this.pool.query<{ seq: string }>('SELECT seq FROM partition_progress WHERE partition = $1', [partition])
    return rows[0] ? Number(rows[0].seq) : 0
  }
}
