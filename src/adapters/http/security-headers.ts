import type { RequestHandler } from 'express'
import helmet from 'helmet'

/**
 * Security headers on every HTTP answer (helmet). The dashboard loads only same-origin scripts and
 * styles (no inline `<script>`, `<style>` or `style=""`; uPlot sets styles through the CSSOM, which
 * CSP does not restrict), talks to its own origin over fetch and `/ws`, and its favicon is `data:,`,
 * so the policy allows exactly that. Over plain HTTP nothing asks the browser to upgrade or remember
 * HTTPS: a station on a LAN without a certificate would otherwise lock itself out.
 */
export function securityHeaders(https: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'none'"],
        // 'self' covers ws:/wss: to the same host and port (CSP Level 3) — the dashboard's /ws.
        'connect-src': ["'self'"],
        'font-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"],
        'worker-src': ["'none'"],
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    // Only over HTTPS (browsers ignore it over HTTP anyway); no includeSubDomains: this service does
    // not own its host's subdomains.
    strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
  })
}
