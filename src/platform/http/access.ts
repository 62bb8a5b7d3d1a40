import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { WorkspaceContext } from '../auth/context.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import { AppError } from '../errors.ts';

/**
 * Every /api/v1 route declares who may call it in `config.access`:
 *   { public: true }   anyone (the handler may still use a session if there is one)
 *   { user: true }     a signed-in dashboard user, whatever their workspaces
 *   { minRole: R }     a user or API key whose role in the current workspace is R or above
 * A route without a declaration fails at start-up, so no endpoint is open by accident.
 */
export type Access = { public: true } | { user: true } | { minRole: Role };

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

export type Principal =
  | { kind: 'user'; user: SessionUser }
  | { kind: 'api_key'; key: { id: string; name: string; prefix: string } };

export interface Identity {
  principal: Principal | null;
  workspace: WorkspaceContext | null;
  workspaceName: string | null;
  /** Why there is no workspace although one was asked for (X-Workspace-Id of a workspace you're not in). */
  workspaceError?: AppError;
}

export interface AccessDeps {
  /** Resolves the caller from the Authorization header or the session cookie. Throws AppError for bad credentials. */
  identify(request: FastifyRequest): Promise<Identity>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    identity: Identity;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function expectedOrigin(config: Config, request: FastifyRequest): string {
  if (config.publicUrl) return new URL(config.publicUrl).origin;
  return `${request.protocol}://${request.host}`;
}

/**
 * Cookie-authenticated changes must come from our own pages: a strict Origin (or Referer) check,
 * which browsers always send on cross-site POSTs. API-key calls carry no ambient credentials and
 * are exempt.
 */
function assertSameOrigin(config: Config, request: FastifyRequest) {
  const origin =
    request.headers.origin ?? (request.headers.referer ? safeOrigin(request.headers.referer) : undefined);
  if (!origin || origin !== expectedOrigin(config, request)) {
    throw new AppError(
      'FORBIDDEN',
      'Cross-site request refused: the Origin header does not match this server',
    );
  }
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function describeAccess(access: Access): { minRole: string; security: unknown[] | undefined } {
  if ('public' in access) return { minRole: 'public', security: [] };
  if ('user' in access) return { minRole: 'user', security: [{ session: [] }] };
  return { minRole: access.minRole, security: undefined };
}

export function registerAccessControl(app: FastifyInstance, deps: AccessDeps & { config: Config }) {
  app.decorateRequest('identity', null as unknown as Identity);

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1')) return;
    const access = route.config?.access;
    if (!access) throw new Error(`Route ${route.method} ${route.url} does not declare config.access`);
    const { minRole, security } = describeAccess(access);
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    route.schema = {
      ...schema,
      'x-min-role': minRole,
      ...(security ? { security } : {}),
    } as typeof route.schema;
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access) return;
    request.identity = await deps.identify(request);
    const { principal, workspace } = request.identity;
    if (principal?.kind === 'user' && !SAFE_METHODS.has(request.method))
      assertSameOrigin(deps.config, request);
    if ('public' in access) return;
    if (!principal) throw new AppError('UNAUTHENTICATED', 'Sign in, or send Authorization: Bearer <api key>');
    if ('user' in access) {
      if (principal.kind !== 'user')
        throw new AppError('FORBIDDEN', 'This endpoint is for signed-in users, not API keys');
      return;
    }
    if (!workspace) {
      throw (
        request.identity.workspaceError ??
        new AppError('NO_WORKSPACE', 'You are not a member of any workspace yet')
      );
    }
    if (!hasRole(workspace.role, access.minRole)) {
      throw new AppError(
        'FORBIDDEN',
        `This needs the ${access.minRole} role or above; yours is ${workspace.role}`,
      );
    }
  });
}

/** The workspace context of a request whose route declared a minRole. */
export function workspaceOf(request: FastifyRequest): WorkspaceContext {
  const workspace = request.identity?.workspace;
  if (!workspace) throw new AppError('NO_WORKSPACE', 'No workspace selected');
  return workspace;
}

export function sessionUserOf(request: FastifyRequest): SessionUser {
  const principal = request.identity?.principal;
  if (principal?.kind !== 'user') throw new AppError('UNAUTHENTICATED', 'Sign in first');
  return principal.user;
}
