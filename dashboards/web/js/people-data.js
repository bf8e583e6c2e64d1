// The admin routes for people and wall screens (contract §4 users, §11 per-user station scope and
// display tokens) as the admin view calls them.
import { request } from './api.js'

/**
 * @typedef {import('./api.js').Role} Role
 * @typedef {{ name: string, role: Role, stations?: string[], createdAt: number }} UserRow a user as `GET /api/users` lists them; no `stations`: every station
 * @typedef {{ username: string, password: string, role: Role, stations?: string[] }} NewUser
 * @typedef {{ password?: string, role?: Role, stations?: string[] | null }} UserChange `stations: null` lifts the scope
 * @typedef {{ id: string, name: string, stations: string[], createdAt: number, createdBy: string }} DisplayToken
 * @typedef {DisplayToken & { token: string }} IssuedDisplayToken the answer to its creation, the only one with the token
 */

const enc = encodeURIComponent

export const peopleApi = {
  /** @returns {Promise<UserRow[]>} */
  users: () => request('/api/users'),
  /** @returns {Promise<UserRow>} */
  createUser: (/** @type {NewUser} */ body) => request('/api/users', { method: 'POST', body }),
  /** @returns {Promise<UserRow>} */
  changeUser: (/** @type {string} */ name, /** @type {UserChange} */ body) => request(`/api/users/${enc(name)}`, { method: 'PATCH', body }),
  /** @returns {Promise<DisplayToken[]>} */
  displayTokens: () => request('/api/display-tokens'),
  /** @returns {Promise<IssuedDisplayToken>} */
  createDisplayToken: (/** @type {{ name: string, stations: string[] }} */ body) => request('/api/display-tokens', { method: 'POST', body }),
  /** @returns {Promise<void>} */
  revokeDisplayToken: (/** @type {string} */ id) => request(`/api/display-tokens/${enc(id)}`, { method: 'DELETE' }),
}

/**
 * The ready-to-open wall-screen URLs for a token (contract v2 §E): the district's when the token
 * was made for one, else one per station, and every station of the token on one screen when it has
 * several.
 * @param {string} origin `location.origin`
 * @param {string} token
 * @param {{ stations: string[], district?: string }} what
 * @returns {{ kind: 'district' | 'station' | 'all', label: string, url: string }[]}
 */
export function wallUrls(origin, token, what) {
  const tokenQuery = `token=${enc(token)}`
  /** @type {{ kind: 'district' | 'station' | 'all', label: string, url: string }[]} */
  const urls = []
  if (what.district) urls.push({ kind: 'district', label: what.district, url: `${origin}/wall?district=${enc(what.district)}&${tokenQuery}` })
  else if (what.stations.length > 1) urls.push({ kind: 'all', label: '', url: `${origin}/wall?${tokenQuery}` })
  for (const id of what.stations) urls.push({ kind: 'station', label: id, url: `${origin}/wall/${enc(id)}?${tokenQuery}` })
  return urls
}
