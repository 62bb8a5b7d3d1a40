import type { Role } from './roles.ts';

export type Actor =
  | { type: 'user'; id: string; label: string }
  | { type: 'api_key'; id: string; label: string }
  | { type: 'system'; id: null; label: string };

/** Who is acting, in which workspace, with which role; every service call that changes state takes one. */
export interface WorkspaceContext {
  workspaceId: string;
  role: Role;
  actor: Actor;
  ip: string | null;
  requestId: string | null;
}

export function systemContext(workspaceId: string, label = 'system'): WorkspaceContext {
  return {
    workspaceId,
    role: 'owner',
    actor: { type: 'system', id: null, label },
    ip: null,
    requestId: null,
  };
}
