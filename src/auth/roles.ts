import { z } from 'zod'

/** Each role has every right of the ones before it. */
export const roles = ['viewer', 'staff', 'responder', 'admin'] as const
export const roleSchema = z.enum(roles)
export type Role = (typeof roles)[number]

export function hasRole(actual: Role, needed: Role): boolean {
  return roles.indexOf(actual) >= roles.indexOf(needed)
}
