import { describe, expect, it } from 'vitest';
import {
  join,
  newApiKey,
  newUser,
  newWorkspace,
  setupTestApp,
  signIn,
  withKey,
} from '../../../test/support/app.ts';
import { checkSegmentAlerts } from './segments.alerts.ts';

const t = setupTestApp();
const OPTIONS = { timeoutMs: 5000, mailConfigured: false };

async function world() {
  const owner = await newUser(t, 'Olga');
  const workspace = await newWorkspace(t, owner);
  const agent = await newUser(t, 'Abel');
  await join(t, workspace.id, agent, 'agent');
  const call = withKey(t, await newApiKey(t, workspace.id, 'marketer'));
  const segment = (
    await call('POST', '/api/v1/segments', {
      name: 'Madrid',
      definition: { field: 'city', op: 'eq', value: 'Madrid' },
    })
  ).json();
  return { owner, agent, workspace, call, segment };
}

describe('segment alerts', () => {
  it('report clients who enter or leave after the alert was set, on timelines and to the chosen members', async () => {
    const { owner, agent, workspace, call, segment } = await world();
    const before = (await call('POST', '/api/v1/clients', { first_name: 'Ana', city: 'Madrid' })).json();

    const outsider = await newUser(t, 'Nadie');
    const bad = await call('PUT', `/api/v1/segments/${segment.id}/alert`, {
      user_ids: [owner.id, outsider.id],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details).toEqual([
      { path: '/user_ids/1', message: 'not a member of this workspace' },
    ]);

    const set = await call('PUT', `/api/v1/segments/${segment.id}/alert`, {
      user_ids: [owner.id, agent.id],
      on_exit: true,
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ on_exit: true, email: false, members_tracked: 1 });
    // This server has no SMTP_URL: the alert says its emails cannot leave.
    const withEmail = await call('PUT', `/api/v1/segments/${segment.id}/alert`, {
      user_ids: [owner.id, agent.id],
      on_exit: true,
      email: true,
    });
    expect(withEmail.json()).toMatchObject({ email: true, mail_configured: false, members_tracked: 1 });
    expect((await call('GET', `/api/v1/segments/${segment.id}/alert`)).json()).toMatchObject({
      email: true,
      mail_configured: false,
    });
    await call('PUT', `/api/v1/segments/${segment.id}/alert`, {
      user_ids: [owner.id, agent.id],
      on_exit: true,
    });

    // Ana was already in: the baseline. Luis enters, Ana moves away.
    const luis = (await call('POST', '/api/v1/clients', { first_name: 'Luis', city: 'madrid' })).json();
    await call('PATCH', `/api/v1/clients/${before.id}`, { city: 'Sevilla' });
    const db = t.app.dbHandle.db;
    expect(await checkSegmentAlerts(db, workspace.id, OPTIONS)).toMatchObject({
      checked: 1,
      entered: 1,
      exited: 1,
      failed: [],
    });

    const timeline = (await call('GET', `/api/v1/clients/${luis.id}/timeline`)).json();
    expect(timeline.items.map((i: { type: string }) => i.type)).toContain('segment_entered');
    const left = (await call('GET', `/api/v1/clients/${before.id}/timeline`)).json();
    expect(left.items.map((i: { type: string }) => i.type)).toContain('segment_exited');

    // The workspace speaks Spanish by default: so do its notifications.
    for (const member of [owner, agent]) {
      const session = await signIn(t, member.email);
      const list = (
        await session.request('GET', '/api/v1/notifications', { workspace: workspace.id })
      ).json();
      expect(list.notifications.map((n: { title: string }) => n.title).sort()).toEqual([
        '1 cliente entró en «Madrid»',
        '1 cliente salió de «Madrid»',
      ]);
      const entered = list.notifications.find(
        (n: { data: { direction: string } }) => n.data.direction === 'entered',
      );
      expect(entered).toMatchObject({ body: 'Luis', link: `/segments/${segment.id}`, email_status: 'off' });
    }

    // Nothing changed: nobody is told twice.
    expect(await checkSegmentAlerts(db, workspace.id, OPTIONS)).toMatchObject({ entered: 0, exited: 0 });
    const again = await signIn(t, owner.email);
    expect(
      (await again.request('GET', '/api/v1/notifications', { workspace: workspace.id })).json().notifications,
    ).toHaveLength(2);
  });

  it('only marketers and up set alerts; deleting stops them', async () => {
    const { owner, workspace, call, segment } = await world();
    const agentKey = withKey(t, await newApiKey(t, workspace.id, 'agent'));
    expect(
      (await agentKey('PUT', `/api/v1/segments/${segment.id}/alert`, { user_ids: [owner.id] })).statusCode,
    ).toBe(403);
    expect((await call('GET', `/api/v1/segments/${segment.id}/alert`)).statusCode).toBe(404);
    await call('PUT', `/api/v1/segments/${segment.id}/alert`, { user_ids: [owner.id] });
    expect((await agentKey('GET', `/api/v1/segments/${segment.id}/alert`)).json().user_ids).toEqual([
      owner.id,
    ]);
    expect((await call('DELETE', `/api/v1/segments/${segment.id}/alert`)).statusCode).toBe(204);
    await call('POST', '/api/v1/clients', { first_name: 'Eva', city: 'Madrid' });
    expect(await checkSegmentAlerts(t.app.dbHandle.db, workspace.id, OPTIONS)).toMatchObject({ checked: 0 });
  });
});
