/**
 * Workspace roles, lowest first. Each role can do everything the ones before it can:
 * viewer reads; agent edits clients and notes; marketer also builds segments and sends campaigns;
 * admin also manages members, API keys, channels and reads the audit log; owner also manages owners.
 */
export const ROLES = ['viewer', 'agent', 'marketer', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function hasRole(role: Role, atLeast: Role): boolean {
  return roleRank(role) >= roleRank(atLeast);
}
