import type { AuditFilters } from './types';

/** Every cached query, named once. Workspace-scoped data is dropped when the workspace changes. */
export const queryKeys = {
  me: ['me'] as const,
  workspaces: ['workspaces'] as const,
  workspace: ['workspace'] as const,
  members: ['members'] as const,
  invitations: ['invitations'] as const,
  invitationPreview: (token: string) => ['invitation-preview', token] as const,
  apiKeys: ['api-keys'] as const,
  auditLog: (filters: AuditFilters) => ['audit-log', filters] as const,
  auditLogAll: ['audit-log'] as const,
};
