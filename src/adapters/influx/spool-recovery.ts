import { open, readdir, rm, rmdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { countLines, CURSOR, readCursor, segmentFiles, type Segment } from './spool-format.ts'

export interface RecoveredSpool {
  segments: Segment[]
  /** the cursor's byte offset in the first segment */
  offset: number
  nextSegment: number
}

/**
 * Reads what a previous run left in `dir`: its segments from the cursor on (older ones are
 * deleted), with a torn last line cut off. A spool drained before a crash but not yet deleted is
 * deleted now.
 */
export async function recoverSpool(dir: string): Promise<RecoveredSpool> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return { segments: [], offset: 0, nextSegment: 1 }
  }
  const found = segmentFiles(dir, names)
  const cursor = await readCursor(dir)
  let segments: Segment[] = []
  let offset = 0
  for (const f of found) {
    if (f.n < cursor.segment) {
      await unlink(f.path).catch(() => undefined)
      continue
    }
    let bytes = (await stat(f.path)).size
    const from = f.n === cursor.segment ? Math.min(cursor.offset, bytes) : 0
    const { lines, lastNewline } = await countLines(f.path, from, bytes)
    if (lastNewline + 1 < bytes) {
      // A crash in the middle of an append: that group was never fsync'd, so never promised.
      const fh = await open(f.path, 'r+')
      await fh.truncate(lastNewline + 1)
      await fh.close()
      bytes = lastNewline + 1
    }
    if (segments.length === 0) offset = from
    segments.push({ n: f.n, path: f.path, bytes, lines })
  }
  const nextSegment = (found.at(-1)?.n ?? 0) + 1
  if (segments.length === 0) {
    await removeEmpty(dir)
  } else if (offset >= segments[0]!.bytes && segments.length === 1 && segments[0]!.lines === 0) {
    // Drained before the crash but not yet deleted.
    await unlink(segments[0]!.path).catch(() => undefined)
    segments = []
    offset = 0
    await removeEmpty(dir)
  }
  return { segments, offset, nextSegment }
}

async function removeEmpty(dir: string): Promise<void> {
  await rm(join(dir, CURSOR), { force: true })
  await rmdir(dir).catch(() => undefined)
}
