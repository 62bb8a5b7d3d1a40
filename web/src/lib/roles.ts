import { ROLES, type Role } from '../api/types';

const RANK: Record<Role, number> = Object.fromEntries(ROLES.map((role, index) => [role, index])) as Record<
  Role,
  number
>;

/** True when `role` is `minimum` or higher (viewer < agent < marketer < admin < owner). */
export function hasRole(role: Role | undefined, minimum: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[minimum];
}

/** Roles someone with `role` may hand out: never above their own. */
export function assignableRoles(role: Role | undefined): Role[] {
  return ROLES.filter((candidate) => role !== undefined && RANK[candidate] <= RANK[role]);
}
