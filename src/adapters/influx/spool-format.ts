import { open, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The spool's files (spool.ts): a folder of append-only segment files `seg-<n>.jsonl`
 * (n increasing), each line one JSON string holding one line-protocol point (JSON framing keeps
 * any newline inside a string field from splitting a record, and makes a torn last line
 * detectable), and `cursor.json`: the segment and byte offset the drain has reached.
 */
export interface Segment {
  n: number
  path: string
  /** bytes written and synced */
  bytes: number
  /** lines not yet acknowledged (the cursor's segment counts only those after the cursor) */
  lines: number
}

export interface Cursor { segment: number; offset: number }

const SEGMENT_RE = /^seg-(\d{12})\.jsonl$/
export const CURSOR = 'cursor.json'

export function segmentPath(dir: string, n: number): string {
  return join(dir, `seg-${String(n).padStart(12, '0')}.jsonl`)
}

/** The segment files among a folder's names, oldest first. */
export function segmentFiles(dir: string, names: string[]): { n: number; path: string }[] {
  return names
    .map((name) => ({ name, m: SEGMENT_RE.exec(name) }))
    .filter((x) => x.m)
    .map((x) => ({ n: Number(x.m![1]), path: join(dir, x.name) }))
    .sort((a, b) => a.n - b.n)
}

/** The saved cursor; the start when there is none (or a damaged one): re-sent lines are harmless. */
export async function readCursor(dir: string): Promise<Cursor> {
  try {
    const c = JSON.parse(await readFile(join(dir, CURSOR), 'utf8')) as { segment?: unknown; offset?: unknown }
    if (Number.isSafeInteger(c.segment) && Number.isSafeInteger(c.offset)) return { segment: c.segment as number, offset: c.offset as number }
  } catch {
    // No cursor: drain from the start.
  }
  return { segment: 0, offset: 0 }
}

export async function writeCursor(dir: string, cursor: Cursor): Promise<void> {
  // Not fsync'd on purpose: a stale cursor only means re-sending lines, which is harmless.
  const tmp = join(dir, `${CURSOR}.tmp`)
  await writeFile(tmp, JSON.stringify(cursor))
  await rename(tmp, join(dir, CURSOR))
}

/** One JSON string a line, so a newline inside a line cannot split a record and a torn last record shows. */
export function encodeRecords(lines: string[]): Buffer {
  let text = ''
  for (const l of lines) text += record(l) + '\n'
  return Buffer.from(text)
}

/** What JSON.stringify escapes in a string besides `"`: backslashes, control characters, surrogates. */
const JSON_ESCAPED = /[\\\u0000-\u001f\ud800-\udfff]/

/**
 * `JSON.stringify(line)`, byte for byte. Lines rarely hold more than quotes (around string
 * fields), which are escaped here directly: stringify's general path was most of the cost of
 * spooling a batch.
 */
export function record(line: string): string {
  if (JSON_ESCAPED.test(line)) return JSON.stringify(line)
  return '"' + (line.includes('"') ? line.replaceAll('"', '\\"') : line) + '"'
}

/** The line-protocol point a record holds, or undefined when the record is damaged. */
export function decodeRecord(raw: string): string | undefined {
  try {
    const v: unknown = JSON.parse(raw)
    return typeof v === 'string' ? v : undefined
  } catch {
    return undefined
  }
}

export async function countLines(path: string, from: number, to: number): Promise<{ lines: number; lastNewline: number }> {
  const fh = await open(path, 'r')
  const buf = Buffer.allocUnsafe(1024 * 1024)
  let lines = 0
  let lastNewline = from - 1
  try {
    for (let pos = from; pos < to; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, to - pos), pos)
      if (bytesRead === 0) break
      for (let i = buf.indexOf(10, 0); i >= 0 && i < bytesRead; i = buf.indexOf(10, i + 1)) {
        lines++
        lastNewline = pos + i
      }
      pos += bytesRead
    }
  } finally {
    await fh.close()
  }
  return { lines, lastNewline }
}

export async function syncDir(dir: string): Promise<void> {
  // The new segment's name must survive a power cut too, not only its contents.
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } catch {
    // Some filesystems refuse fsync on a directory; the data itself is synced regardless.
  } finally {
    await fh.close()
  }
}

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n >= 100 * 1024 * 1024 ? 0 : 1)} MiB` : `${Math.ceil(n / 1024)} KiB`
}
