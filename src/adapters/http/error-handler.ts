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
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return send(res, e.status, 'BAD_REQUEST', e.message ?? 'bad request')
    log.error({ err, method: req.method, url: req.originalUrl }, 'unhandled error in HTTP handler')
    send(res, 500, 'INTERNAL', 'internal error')
  }
}

function send(res: Response, status: number, code: string, message: string): void {
  if (res.headersSent) return
  res.status(status).json({ error: { code, message } })
}
