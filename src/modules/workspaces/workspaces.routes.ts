import { Type } from '@sinclair/typebox';
import type { Config } from '../../config.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { getUser } from '../../platform/auth/users.ts';
import type { Database } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { expectedOrigin, sessionUserOf, workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import {
  errors,
  IdParams,
  Nullable,
  RoleSchema,
  StringEnum,
  Timestamp,
  Uuid,
} from '../../platform/http/schemas.ts';
import { LOCALES } from '../../platform/locale.ts';
import {
  acceptInvitation,
  changeMemberRole,
  createInvitation,
  createWorkspace,
  getWorkspace,
  listInvitations,
  listMembers,
  listWorkspacesForUser,
  lookupInvitation,
  removeMember,
  revokeInvitation,
  toWorkspaceJson,
  updateWorkspace,
} from './workspaces.service.ts';

const WorkspaceRef = Type.Object({ id: Uuid, name: Type.String() });
const WorkspaceJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  default_country: Type.String({
    description: 'ISO 3166-1 alpha-2; phones without a country code are read as this',
  }),
  default_timezone: Type.String({ description: 'IANA time zone' }),
  default_locale: Type.String(),
  retention_inactive_months: Nullable(
    Type.Integer({
      description: 'Clients inactive this many months are erased by the nightly retention sweep; null = off',
    }),
  ),
  brand_color: Type.String({ description: 'Email layout colour, #rrggbb' }),
  logo_url: Nullable(Type.String({ description: 'https address of the logo on top of every email' })),
  email_tracking: Type.Boolean({ description: 'Open pixel and click redirects in marketing email' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});
const WorkspaceSettings = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    default_country: Type.Optional(Type.String({ minLength: 2, maxLength: 2 })),
    default_timezone: Type.Optional(Type.String({ maxLength: 64 })),
    default_locale: Type.Optional(StringEnum(LOCALES)),
    retention_inactive_months: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 600 }))),
    brand_color: Type.Optional(Type.String({ maxLength: 7 })),
    logo_url: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    email_tracking: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const MemberJson = Type.Object({
  user_id: Uuid,
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  joined_at: Timestamp,
});
const InvitationStatus = StringEnum(['pending', 'accepted', 'revoked', 'expired'] as const);
const InvitationJson = Type.Object({
  id: Uuid,
  email: Nullable(Type.String()),
  role: RoleSchema,
  status: InvitationStatus,
  created_at: Timestamp,
  expires_at: Timestamp,
});
const TokenParams = Type.Object({ token: Type.String({ minLength: 10, maxLength: 100 }) });

export function registerWorkspaceRoutes(app: HttpApp, deps: { db: Database; config: Config }) {
  const { db } = deps;

  app.get(
    '/api/v1/me',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags: ['Account'],
        summary: 'Who is calling: the workspace, the role, and the user or API key',
        response: {
          200: Type.Object({
            workspace: WorkspaceRef,
            role: RoleSchema,
            user: Type.Optional(Type.Object({ id: Uuid, email: Type.String(), name: Type.String() })),
            api_key: Type.Optional(Type.Object({ id: Uuid, name: Type.String(), prefix: Type.String() })),
            workspaces: Type.Optional(
              Type.Array(Type.Object({ id: Uuid, name: Type.String(), role: RoleSchema })),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { principal, workspace, workspaceName } = request.identity;
      const base = { workspace: { id: workspace!.workspaceId, name: workspaceName! }, role: workspace!.role };
      if (principal?.kind === 'api_key') return { ...base, api_key: principal.key };
      const user = sessionUserOf(request);
      const workspaces = await listWorkspacesForUser(db, user.id);
      return {
        ...base,
        user,
        workspaces: workspaces.map(({ id, name, role }) => ({ id, name, role: role as Role })),
      };
    },
  );

  app.get(
    '/api/v1/workspaces',
    {
      config: { access: { user: true } },
      schema: {
        tags: ['Workspaces'],
        summary: 'The workspaces the signed-in user belongs to',
        response: {
          200: Type.Object({
            workspaces: Type.Array(
              Type.Object({ id: Uuid, name: Type.String(), role: RoleSchema, created_at: Timestamp }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const rows = await listWorkspacesForUser(db, sessionUserOf(request).id);
      return {
        workspaces: rows.map((r) => ({
          id: r.id,
          name: r.name,
          role: r.role as Role,
          created_at: r.createdAt.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/api/v1/workspaces',
    {
      config: { access: { user: true } },
      schema: {
        tags: ['Workspaces'],
        summary: 'Create a workspace; you become its owner',
        body: Type.Intersect([
          WorkspaceSettings,
          Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }),
        ]),
        response: { 201: WorkspaceJson, ...errors },
      },
    },
    async (request, reply) => {
      const user = await getUser(db, sessionUserOf(request).id);
      if (!user) throw new AppError('UNAUTHENTICATED', 'Sign in first');
      const workspace = await createWorkspace(db, request.body as { name: string }, {
        user,
        ip: request.ip,
        requestId: request.id,
      });
      return reply.status(201).send(toWorkspaceJson(workspace));
    },
  );

  app.get(
    '/api/v1/workspace',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags: ['Workspaces'],
        summary: 'The current workspace and its defaults',
        response: { 200: WorkspaceJson, ...errors },
      },
    },
    async (request) => toWorkspaceJson(await getWorkspace(db, workspaceOf(request).workspaceId)),
  );

  app.patch(
    '/api/v1/workspace',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags: ['Workspaces'],
        summary: 'Rename the workspace or change its defaults',
        body: WorkspaceSettings,
        response: { 200: WorkspaceJson, ...errors },
      },
    },
    async (request) => toWorkspaceJson(await updateWorkspace(db, workspaceOf(request), request.body)),
  );

  app.get(
    '/api/v1/members',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags: ['Members'],
        summary: 'Members of the workspace and their roles',
        response: { 200: Type.Object({ members: Type.Array(MemberJson) }), ...errors },
      },
    },
    async (request) => ({ members: await listMembers(db, workspaceOf(request).workspaceId) }),
  );

  const UserIdParams = Type.Object({ user_id: Uuid });
  app.patch(
    '/api/v1/members/:user_id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags: ['Members'],
        summary: "Change a member's role",
        params: UserIdParams,
        body: Type.Object({ role: RoleSchema }, { additionalProperties: false }),
        response: { 200: MemberJson, ...errors },
      },
    },
    async (request) => {
      const ctx = workspaceOf(request);
      await changeMemberRole(db, ctx, request.params.user_id, request.body.role);
      const members = await listMembers(db, ctx.workspaceId);
      return members.find((m) => m.user_id === request.params.user_id);
    },
  );

  app.delete(
    '/api/v1/members/:user_id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags: ['Members'],
        summary: 'Remove a member',
        params: UserIdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await removeMember(db, workspaceOf(request), request.params.user_id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/invitations',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags: ['Members'],
        summary: 'Invitations of the workspace (latest 200)',
        response: { 200: Type.Object({ invitations: Type.Array(InvitationJson) }), ...errors },
      },
    },
    async (request) => ({ invitations: await listInvitations(db, workspaceOf(request).workspaceId) }),
  );

  app.post(
    '/api/v1/invitations',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags: ['Members'],
        summary: 'Invite someone by link; the link is in this answer only',
        body: Type.Object(
          {
            email: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
            role: RoleSchema,
            expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Intersect([InvitationJson, Type.Object({ token: Type.String(), url: Type.String() })]),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const result = await createInvitation(
        db,
        workspaceOf(request),
        request.body,
        expectedOrigin(deps.config, request),
      );
      return reply.status(201).send(result);
    },
  );

  app.delete(
    '/api/v1/invitations/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags: ['Members'],
        summary: 'Revoke an invitation',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await revokeInvitation(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/invitations/by-token/:token',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['Members'],
        summary: 'What an invitation link offers (no sign-in needed)',
        params: TokenParams,
        response: {
          200: Type.Object({
            workspace: WorkspaceRef,
            role: RoleSchema,
            email: Nullable(Type.String()),
            status: InvitationStatus,
            expires_at: Timestamp,
          }),
          ...errors,
        },
      },
    },
    async (request) => await lookupInvitation(db, request.params.token),
  );

  app.post(
    '/api/v1/invitations/by-token/:token/accept',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['Members'],
        summary: 'Accept an invitation as the signed-in user, or create an account with it',
        params: TokenParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 200 })),
            email: Type.Optional(Type.String({ maxLength: 320 })),
            password: Type.Optional(Type.String({ maxLength: 256 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ workspace: WorkspaceRef, role: RoleSchema, user_created: Type.Boolean() }),
          410: errors[404],
          ...errors,
        },
      },
    },
    async (request) => {
      const principal = request.identity.principal;
      const meta = { ip: request.ip, requestId: request.id };
      if (principal?.kind === 'user') {
        const user = await getUser(db, principal.user.id);
        if (!user) throw new AppError('UNAUTHENTICATED', 'Sign in first');
        return await acceptInvitation(db, request.params.token, { user }, meta);
      }
      const { name, email, password } = request.body;
      if (!password)
        throw AppError.validation([{ path: '/password', message: 'is required to create your account' }]);
      return await acceptInvitation(db, request.params.token, { newUser: { name, email, password } }, meta);
    },
  );
}
