import { describe, expect, it } from 'vitest';
import {
  join,
  newUser,
  newWorkspace,
  ORIGIN,
  PASSWORD,
  setupTestApp,
  signIn,
} from '../../../test/support/app.ts';

const t = setupTestApp();

describe('workspaces', () => {
  it('lets a user belong to several workspaces and switch with X-Workspace-Id', async () => {
    const user = await newUser(t);
    const first = await newWorkspace(t, user);
    const second = await newWorkspace(t);
    await join(t, second.id, user, 'marketer');
    const session = await signIn(t, user.email);
    const list = (await session.request('GET', '/api/v1/workspaces')).json().workspaces;
    expect(list.map((w: { id: string }) => w.id).sort()).toEqual([first.id, second.id].sort());
    const inSecond = await session.request('GET', '/api/v1/me', { workspace: second.id });
    expect(inSecond.json().workspace.id).toBe(second.id);
    expect(inSecond.json().role).toBe('marketer');
    const other = await newWorkspace(t);
    const denied = await session.request('GET', '/api/v1/me', { workspace: other.id });
    expect(denied.statusCode).toBe(403);
  });

  it('creates a workspace whose creator is the owner, and validates its defaults', async () => {
    const user = await newUser(t);
    await newWorkspace(t, user);
    const session = await signIn(t, user.email);
    const bad = await session.request('POST', '/api/v1/workspaces', {
      payload: { name: 'Salón Luz', default_country: 'XX', default_timezone: 'Mars/Olympus' },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['/default_country', '/default_timezone']);
    const created = await session.request('POST', '/api/v1/workspaces', {
      payload: {
        name: 'Salón Luz 💇',
        default_country: 'fr',
        default_timezone: 'Europe/Paris',
        default_locale: 'fr',
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      name: 'Salón Luz 💇',
      default_country: 'FR',
      default_timezone: 'Europe/Paris',
    });
    const me = await session.request('GET', '/api/v1/me', { workspace: created.json().id });
    expect(me.json().role).toBe('owner');
  });

  it('lets admins edit settings but not viewers, and audits the change field by field', async () => {
    const owner = await newUser(t);
    const viewer = await newUser(t);
    const workspace = await newWorkspace(t, owner);
    await join(t, workspace.id, viewer, 'viewer');
    const asViewer = await signIn(t, viewer.email);
    expect(
      (
        await asViewer.request('PATCH', '/api/v1/workspace', {
          payload: { name: 'X' },
          workspace: workspace.id,
        })
      ).statusCode,
    ).toBe(403);
    const asOwner = await signIn(t, owner.email);
    const patched = await asOwner.request('PATCH', '/api/v1/workspace', {
      payload: { name: 'Clínica Sol', default_timezone: 'Atlantic/Canary' },
      workspace: workspace.id,
    });
    expect(patched.statusCode).toBe(200);
    const audit = (
      await asOwner.request('GET', '/api/v1/audit-log?action=workspace.updated', { workspace: workspace.id })
    ).json();
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0].changes).toEqual({
      name: { before: workspace.name, after: 'Clínica Sol' },
      default_timezone: { before: 'Europe/Madrid', after: 'Atlantic/Canary' },
    });
    expect(audit.entries[0].actor).toMatchObject({ type: 'user', id: owner.id });
  });
});

describe('members and roles', () => {
  it('never leaves a workspace without an owner, and writes no audit row for a refused change', async () => {
    const owner = await newUser(t);
    const workspace = await newWorkspace(t, owner);
    const session = await signIn(t, owner.email);
    const demote = await session.request('PATCH', `/api/v1/members/${owner.id}`, {
      payload: { role: 'admin' },
      workspace: workspace.id,
    });
    expect(demote.statusCode).toBe(422);
    expect(demote.json().error.code).toBe('LAST_OWNER');
    const remove = await session.request('DELETE', `/api/v1/members/${owner.id}`, {
      workspace: workspace.id,
    });
    expect(remove.statusCode).toBe(422);
    const audit = (
      await session.request('GET', '/api/v1/audit-log?entity_type=member', { workspace: workspace.id })
    ).json();
    expect(audit.entries.map((e: { action: string }) => e.action)).toEqual(['member.added']);
  });

  it('lets an admin manage members up to admin, but not touch owners', async () => {
    const owner = await newUser(t);
    const admin = await newUser(t);
    const agent = await newUser(t);
    const workspace = await newWorkspace(t, owner);
    await join(t, workspace.id, admin, 'admin');
    await join(t, workspace.id, agent, 'agent');
    const asAdmin = await signIn(t, admin.email);
    const ws = { workspace: workspace.id };
    expect(
      (
        await asAdmin.request('PATCH', `/api/v1/members/${agent.id}`, {
          payload: { role: 'marketer' },
          ...ws,
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await asAdmin.request('PATCH', `/api/v1/members/${agent.id}`, { payload: { role: 'owner' }, ...ws }))
        .statusCode,
    ).toBe(403);
    expect((await asAdmin.request('DELETE', `/api/v1/members/${owner.id}`, ws)).statusCode).toBe(403);
    expect((await asAdmin.request('DELETE', `/api/v1/members/${agent.id}`, ws)).statusCode).toBe(204);
    const members = (await asAdmin.request('GET', '/api/v1/members', ws)).json().members;
    expect(members.map((m: { user_id: string; role: string }) => [m.user_id, m.role]).sort()).toEqual(
      [
        [owner.id, 'owner'],
        [admin.id, 'admin'],
      ].sort(),
    );
  });
});

describe('invitations', () => {
  it('invites by link; a newcomer creates an account with it and joins with the role', async () => {
    const owner = await newUser(t);
    const workspace = await newWorkspace(t, owner);
    const session = await signIn(t, owner.email);
    const invite = await session.request('POST', '/api/v1/invitations', {
      payload: { role: 'agent' },
      workspace: workspace.id,
    });
    expect(invite.statusCode).toBe(201);
    const { token, url } = invite.json();
    expect(url).toBe(`${ORIGIN}/invite/${token}`);
    const lookup = await t.inject({ method: 'GET', url: `/api/v1/invitations/by-token/${token}` });
    expect(lookup.json()).toMatchObject({
      workspace: { id: workspace.id },
      role: 'agent',
      status: 'pending',
    });
    const accept = await t.inject({
      method: 'POST',
      url: `/api/v1/invitations/by-token/${token}/accept`,
      payload: { name: 'Nuria Peña', email: 'nuria.pena@example.com', password: PASSWORD },
    });
    expect(accept.statusCode).toBe(200);
    expect(accept.json()).toMatchObject({ role: 'agent', user_created: true });
    const nuria = await signIn(t, 'nuria.pena@example.com');
    expect((await nuria.request('GET', '/api/v1/me')).json()).toMatchObject({
      role: 'agent',
      workspace: { id: workspace.id },
    });
    const again = await t.inject({
      method: 'POST',
      url: `/api/v1/invitations/by-token/${token}/accept`,
      payload: { email: 'someone.else@example.com', password: PASSWORD },
    });
    expect(again.statusCode).toBe(410);
  });

  it('lets a signed-in user accept, refuses revoked links, and holds an emailed invitation to its address', async () => {
    const owner = await newUser(t);
    const guest = await newUser(t);
    const workspace = await newWorkspace(t, owner);
    const asOwner = await signIn(t, owner.email);
    const ws = { workspace: workspace.id };
    const forOther = (
      await asOwner.request('POST', '/api/v1/invitations', {
        payload: { role: 'viewer', email: 'other@example.com' },
        ...ws,
      })
    ).json();
    const asGuest = await signIn(t, guest.email);
    const wrongPerson = await asGuest.request(
      'POST',
      `/api/v1/invitations/by-token/${forOther.token}/accept`,
      { payload: {} },
    );
    expect(wrongPerson.statusCode).toBe(403);
    const revoked = (
      await asOwner.request('POST', '/api/v1/invitations', { payload: { role: 'viewer' }, ...ws })
    ).json();
    expect((await asOwner.request('DELETE', `/api/v1/invitations/${revoked.id}`, ws)).statusCode).toBe(204);
    expect(
      (await asGuest.request('POST', `/api/v1/invitations/by-token/${revoked.token}/accept`, { payload: {} }))
        .statusCode,
    ).toBe(410);
    const open = (
      await asOwner.request('POST', '/api/v1/invitations', { payload: { role: 'marketer' }, ...ws })
    ).json();
    const accepted = await asGuest.request('POST', `/api/v1/invitations/by-token/${open.token}/accept`, {
      payload: {},
    });
    expect(accepted.json()).toMatchObject({ role: 'marketer', user_created: false });
    const statuses = (await asOwner.request('GET', '/api/v1/invitations', ws))
      .json()
      .invitations.map((i: { status: string }) => i.status);
    expect(statuses.sort()).toEqual(['accepted', 'pending', 'revoked']);
  });

  it('refuses to create an account for an email that already has one', async () => {
    const owner = await newUser(t);
    const existing = await newUser(t);
    const workspace = await newWorkspace(t, owner);
    const session = await signIn(t, owner.email);
    const { token } = (
      await session.request('POST', '/api/v1/invitations', {
        payload: { role: 'viewer' },
        workspace: workspace.id,
      })
    ).json();
    const response = await t.inject({
      method: 'POST',
      url: `/api/v1/invitations/by-token/${token}/accept`,
      payload: { email: existing.email, password: PASSWORD },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('EMAIL_TAKEN');
  });
});
