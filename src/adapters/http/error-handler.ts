import type { NextFunction, Request, Response } from 'express'
import type { Logger } from 'pino'
import { AppError } from '../../domain/errors.ts'

/** The one error middleware: AppError → its status and code; anything else → 500 and a log line. */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string }
    if (err instanceof AppError) return send(res, err.status, err.code, err.message)
    // body-parser's own errors: malformed JSON, too large, wrong charset.
    if (e.type === 'entity.parse.failed') return send(res, 400, 'BAD_REQUEST', 'body: not valid JSON')
    if (e.type === 'entity.too.large') return send(res, 413, 'PAYLOAD_TOO_LARGE', 'body: too large')
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return send(res, 400, 'BAD_REQUEST', 'body: unsupported content encoding or charset (send UTF-8 JSON)')
    // zlib errors of a body that claims Content-Encoding but is not compressed that way
    if (typeof (err as { errno?: unknown }).errno === 'number' || e.type === 'stream.encoding.set') return send(res, 400, 'BAD_REQUEST', 'body: cannot be decoded as its Content-Encoding says')
    if (err instanceof URIError) return send(res, 400, 'BAD_REQUEST', 'params: malformed percent-encoding in the path')
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return send(res, 400, 'BAD_REQUEST', `request: ${e.message ?? 'bad request'}`)
    log.error({ err, method: req.method, url: redactUrl(req.originalUrl) }, 'unhandled error in HTTP handler')
    send(res, 500, 'INTERNAL', 'internal error')
  }
}

function send(res: Response, status: number, code: string, message: string): void {
  if (res.headersSent) return
  res.status(status).json({ error: { code, message } })
}

const SECRET_PARAMS = /^(token|access_token|password|secret)$/i

/** The URL for a log line, with credential-like query parameters blanked. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const params = new URLSearchParams(url.slice(q + 1))
  for (const k of new Set(params.keys())) if (SECRET_PARAMS.test(k)) params.set(k, '[redacted]')
  return `${url.slice(0, q)}?${params.toString()}`
}
