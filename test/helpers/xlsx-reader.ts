import { inflateRawSync } from 'node:zlib'

/**
 * A second, independent XLSX reader for tests: the ZIP's central directory, raw inflate, and the
 * sheet XML read with regular expressions. It knows nothing of the library that wrote the file.
 */
export interface XlsxCell { ref: string; type: 'string' | 'number' | 'boolean' | 'empty'; value: string | number | boolean | null; numFmt: string }
export interface XlsxSheet { name: string; rows: XlsxCell[][] }

export function unzip(buf: Buffer): Map<string, Buffer> {
  let eocd = buf.length - 22
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--
  if (eocd < 0) throw new Error('not a zip file: no end of central directory')
  const entries = buf.readUInt16LE(eocd + 10)
  let p = buf.readUInt32LE(eocd + 16)
  const files = new Map<string, Buffer>()
  for (let i = 0; i < entries; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory entry')
    const method = buf.readUInt16LE(p + 10)
    const size = buf.readUInt32LE(p + 20)
    const nameLen = buf.readUInt16LE(p + 28)
    const extraLen = buf.readUInt16LE(p + 30)
    const commentLen = buf.readUInt16LE(p + 32)
    const local = buf.readUInt32LE(p + 42)
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8')
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28)
    const raw = buf.subarray(dataAt, dataAt + size)
    files.set(name, method === 8 ? inflateRawSync(raw) : Buffer.from(raw))
    p += 46 + nameLen + extraLen + commentLen
  }
  return files
}

const BUILTIN_FORMATS: Record<number, string> = { 0: 'General', 14: 'mm-dd-yy', 22: 'm/d/yy h:mm' }

function unescape(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_m, d) => String.fromCodePoint(Number(d))).replace(/&amp;/g, '&')
}

function texts(xml: string): string {
  return [...xml.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g)].map((m) => unescape(m[1]!)).join('')
}

export function readXlsx(buf: Buffer): XlsxSheet[] {
  const files = unzip(buf)
  const text = (name: string) => {
    const f = files.get(name)
    if (!f) throw new Error(`the workbook has no ${name}`)
    return f.toString('utf8')
  }
  const shared = files.has('xl/sharedStrings.xml') ? [...text('xl/sharedStrings.xml').matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => texts(m[1]!)) : []
  const styles = files.has('xl/styles.xml') ? text('xl/styles.xml') : ''
  const formats = new Map<number, string>(Object.entries(BUILTIN_FORMATS).map(([k, v]) => [Number(k), v]))
  for (const m of styles.matchAll(/<numFmt\s+numFmtId="(\d+)"\s+formatCode="([^"]*)"/g)) formats.set(Number(m[1]), unescape(m[2]!))
  const xfsXml = /<cellXfs[^>]*>([\s\S]*?)<\/cellXfs>/.exec(styles)?.[1] ?? ''
  const xfs = [...xfsXml.matchAll(/<xf\s([^>]*?)\/?>/g)].map((m) => Number(/numFmtId="(\d+)"/.exec(m[1]!)?.[1] ?? 0))

  const rels = new Map([...text('xl/_rels/workbook.xml.rels').matchAll(/<Relationship\s([^>]*?)\/?>/g)].map((m) => [/Id="([^"]+)"/.exec(m[1]!)![1]!, /Target="([^"]+)"/.exec(m[1]!)![1]!]))
  return [...text('xl/workbook.xml').matchAll(/<sheet\s([^>]*?)\/?>/g)].map((m) => {
    const name = unescape(/name="([^"]+)"/.exec(m[1]!)![1]!)
    const rid = /r:id="([^"]+)"/.exec(m[1]!)![1]!
    const target = rels.get(rid)!.replace(/^\/?(xl\/)?/, '')
    const xml = text(`xl/${target}`)
    const rows = [...xml.matchAll(/<row\s[^>]*?>([\s\S]*?)<\/row>/g)].map((row) =>
      [...row[1]!.matchAll(/<c\s([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)].map((c): XlsxCell => {
        const attrs = c[1]!
        const body = c[2] ?? ''
        const ref = /r="([A-Z]+\d+)"/.exec(attrs)![1]!
        const t = /\st="([^"]+)"/.exec(' ' + attrs)?.[1]
        const s = Number(/\ss="(\d+)"/.exec(' ' + attrs)?.[1] ?? 0)
        const numFmt = formats.get(xfs[s] ?? 0) ?? `#${xfs[s]}`
        const v = /<v>([\s\S]*?)<\/v>/.exec(body)?.[1]
        if (t === 's') return { ref, type: 'string', value: shared[Number(v)]!, numFmt }
        if (t === 'inlineStr') return { ref, type: 'string', value: texts(body), numFmt }
        if (t === 'str') return { ref, type: 'string', value: unescape(v ?? ''), numFmt }
        if (t === 'b') return { ref, type: 'boolean', value: v === '1', numFmt }
        if (v === undefined) return { ref, type: 'empty', value: null, numFmt }
        return { ref, type: 'number', value: Number(v), numFmt }
      }),
    )
    return { name, rows }
  })
}

/** An Excel serial date (1900 system) as the wall-clock time it shows, in ISO form. */
export function serialToIso(serial: number): string {
  return new Date(Math.round((serial - 25569) * 86_400_000)).toISOString().slice(0, 16).replace('T', ' ')
}

/** A sheet as header → value records, by the header row. */
export function records(sheet: XlsxSheet): Record<string, XlsxCell>[] {
  const [head, ...rest] = sheet.rows
  const col = (ref: string) => ref.replace(/\d+$/, '')
  const names = new Map(head!.map((c) => [col(c.ref), String(c.value)]))
  return rest.map((row) => Object.fromEntries(row.map((c) => [names.get(col(c.ref)) ?? col(c.ref), c])))
}
