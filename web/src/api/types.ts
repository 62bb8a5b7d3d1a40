/** Wire types of the Clientela HTTP API (snake_case, exactly as the server sends them). */

export const ROLES = ['viewer', 'agent', 'marketer', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface WorkspaceRef {
  id: string;
  name: string;
}

export interface Me {
  workspace: WorkspaceRef;
  role: Role;
  user: User;
  workspaces: Array<WorkspaceRef & { role: Role }>;
}

export interface WorkspaceSummary extends WorkspaceRef {
  role: Role;
  created_at: string;
}

export interface Workspace extends WorkspaceRef {
  default_country: string;
  default_timezone: string;
  default_locale: string;
  /** GDPR retention: clients inactive this many months are erased every night; null = off. */
  retention_inactive_months: number | null;
  /** Email layout: colour of the header bar and links (#rrggbb), logo on top of every email. */
  brand_color: string;
  logo_url: string | null;
  /** Open pixel and click redirects in marketing email. */
  email_tracking: boolean;
  created_at: string;
}

export type WorkspacePatch = Partial<
  Pick<
    Workspace,
    | 'name'
    | 'default_country'
    | 'default_timezone'
    | 'default_locale'
    | 'retention_inactive_months'
    | 'brand_color'
    | 'logo_url'
    | 'email_tracking'
  >
>;

export interface Member {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  joined_at: string;
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface Invitation {
  id: string;
  email: string | null;
  role: Role;
  status: InvitationStatus;
  created_at: string;
  expires_at: string;
  /** Not sent by every server version: the link is normally shown only when the invitation is created. */
  url?: string;
}

export interface CreatedInvitation {
  id: string;
  email: string | null;
  role: Role;
  url: string;
  token: string;
  expires_at: string;
  status: InvitationStatus;
}

export interface InvitationPreview {
  workspace: WorkspaceRef;
  role: Role;
  email: string | null;
  status: InvitationStatus;
  expires_at: string;
}

export interface AcceptedInvitation {
  workspace: WorkspaceRef;
  role: Role;
  user_created: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface CreatedApiKey extends ApiKey {
  key: string;
}

export type ActorType = 'user' | 'api_key' | 'system';

export interface AuditEntry {
  id: string;
  actor: { type: ActorType; id: string | null; label: string | null };
  action: string;
  entity_type: string;
  entity_id: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  ip: string | null;
  request_id: string | null;
  created_at: string;
}

export interface AuditFilters {
  action?: string;
  entity_type?: string;
  actor_type?: ActorType;
  from?: string;
  to?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
