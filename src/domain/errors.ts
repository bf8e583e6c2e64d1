/** Every error the API can answer with: one code, one HTTP status. */
export const errorCatalogue = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  STATION_UNKNOWN: 404,
  ALERT_UNKNOWN: 404,
  DEVICE_UNKNOWN: 404,
  INCIDENT_UNKNOWN: 404,
  CONFLICT: 409,
  INCIDENT_ALREADY_OPEN: 409,
  USER_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  STORE_UNAVAILABLE: 503,
  STARTING: 503,
  /** cluster mode: the station's owner could not be reached (a takeover under way) */
  OWNER_UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof errorCatalogue

export class AppError extends Error {
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
    this.status = errorCatalogue[code]
  }
}
