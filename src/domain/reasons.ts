/**
 * Why a check that readiness counts failed: a code with the values its text needs. The status
 * carries these as `reasonCodes`; `reasons` is their English text from the one table below, and the
 * dashboard renders the same codes in Chinese or English from its own table (`reason.<code>` in
 * dashboards/web/js/strings.js), so a change of wording here cannot break another language.
 * `name` is the configured display name; devices have none, so their texts use the id.
 */
export type Reason =
  | { code: 'door-forced'; door: string; name: string }
  | { code: 'door-open'; door: string; name: string }
  | { code: 'key-out'; key: string; name: string }
  | { code: 'key-taken'; key: string; name: string; by: string }
  | { code: 'item-missing'; item: string; name: string }
  | { code: 'supply-low'; item: string; name: string; count: number | null; min: number }
  | { code: 'device-not-reported'; device: string }
  | { code: 'device-offline'; device: string }

export type ReasonCode = Reason['code']

type Renderers = { [C in ReasonCode]: (reason: Extract<Reason, { code: C }>) => string }

/** The contract's `reasons` sentences. Their wording is public: clients may show them as they are. */
const ENGLISH: Renderers = {
  'door-forced': (r) => `${r.name} was forced open`,
  'door-open': (r) => `${r.name} is open`,
  'key-out': (r) => `${r.name} is out of the key box`,
  'key-taken': (r) => `${r.name} is out of the key box (taken by ${r.by})`,
  'item-missing': (r) => `${r.name} is missing`,
  'supply-low': (r) => `${r.name} is low: ${r.count} of ${r.min}`,
  'device-not-reported': (r) => `${r.device} has not reported yet`,
  'device-offline': (r) => `${r.device} is offline`,
}

/** Every code the domain can give, for tables kept elsewhere (the dashboard's) to be checked against. */
export const REASON_CODES = Object.keys(ENGLISH) as ReasonCode[]

export function reasonText(reason: Reason): string {
  // The mapped type pairs each code with its own shape; TypeScript cannot follow that through an index.
  return (ENGLISH[reason.code] as (r: Reason) => string)(reason)
}
