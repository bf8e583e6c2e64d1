import { Router } from 'express'
import { z } from 'zod'
import type { AlertStore } from '../../../alerts/alert-store.ts'
import type { Accounts } from '../../../auth/accounts.ts'
import { AppError } from '../../../domain/errors.ts'
import type { NotifyConfig } from '../../../notify/config.ts'
import type { Notifier } from '../../../notify/notifier.ts'
import { requireRole } from '../auth-middleware.ts'
import { parseRequest } from '../validate.ts'

const testBody = z.strictObject({ channel: z.string({ error: 'is required' }).min(1, 'is required').max(64, 'must be at most 64 characters') })

/**
 * Contract v2 §B: an alert's delivery log, a test message per channel, the channels' health.
 * Without a notifier (no NOTIFY_CONFIG) there are no channels: empty logs, 404 for any channel.
 * Beside the contract's fields, a delivery row carries `channelType` and the person's `toName`
 * so that a viewer (who may not read the config) sees "短信 张三", not "sms zhang".
 */
export function notifyRoutes(
  accounts: Accounts,
  notifier: Pick<Notifier, 'notificationsFor' | 'sendTest' | 'status'> | undefined,
  alerts: Pick<AlertStore, 'getAlert' | 'durable'>,
  config: Pick<NotifyConfig, 'channels' | 'people'> | undefined,
): Router {
  const r = Router()
  const viewer = requireRole(accounts, 'viewer')
  const admin = requireRole(accounts, 'admin')

  r.get('/api/alerts/:id/notifications', viewer, async (req, res) => {
    const id = String(req.params.id)
    await alerts.durable()
    if (!alerts.getAlert(id)) throw new AppError('ALERT_UNKNOWN', `no alert "${id}"`)
    const rows = notifier?.notificationsFor(id) ?? []
    res.json(
      rows.map((row) => {
        const type = config?.channels.get(row.channel)?.type
        const name = row.to !== undefined ? config?.people.get(row.to)?.name : undefined
        return { ...row, ...(type ? { channelType: type } : {}), ...(name ? { toName: name } : {}) }
      }),
    )
  })
  r.post('/api/notify/test', admin, async (req, res) => {
    const { channel } = parseRequest(testBody, req.body, 'body')
    const delivery = await notifier?.sendTest(channel)
    if (!delivery) throw new AppError('NOT_FOUND', `body.channel: no channel "${channel}" in NOTIFY_CONFIG`)
    res.json(delivery)
  })
  r.get('/api/notify/status', admin, (_req, res) => {
    res.json(notifier?.status() ?? {})
  })
  return r
}
