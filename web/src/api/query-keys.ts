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
  /** Everything about clients (list, one client, its timeline, notes and consent) starts with this. */
  clients: ['clients'] as const,
  clientList: (params: object) => ['clients', 'list', params] as const,
  clientLists: ['clients', 'list'] as const,
  clientCount: (filters: object) => ['clients', 'list', 'count', filters] as const,
  client: (id: string) => ['clients', 'detail', id] as const,
  clientTimeline: (id: string, types?: string[] | null) =>
    types === undefined
      ? (['clients', 'timeline', id] as const)
      : (['clients', 'timeline', id, types] as const),
  clientNotes: (id: string) => ['clients', 'notes', id] as const,
  clientConsent: (id: string) => ['clients', 'consent', id] as const,
  duplicates: ['clients', 'duplicates'] as const,
  retentionPreview: (months: number) => ['clients', 'retention-preview', months] as const,
  customFields: (includeArchived = false) => ['custom-fields', { includeArchived }] as const,
  customFieldsAll: ['custom-fields'] as const,
  labels: ['labels'] as const,
  tags: ['tags'] as const,
  locations: (includeArchived = false) => ['locations', { includeArchived }] as const,
  locationsAll: ['locations'] as const,
};
