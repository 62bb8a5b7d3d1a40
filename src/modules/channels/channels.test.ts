import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetaPeer, startMetaPeer } from '../../../test/peers/meta-graph.ts';
import { type SmtpSink, startSmtpSink } from '../../../test/peers/smtp-sink.ts';
import {
  join,
  newApiKey,
  newUser,
  newWorkspace,
  setupTestApp,
  signIn,
  withKey,
} from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';
import { findChannelForWebhook } from './channels.repo.ts';
import { lockChannelsForSend, MASK } from './channels.service.ts';

const t = setupTestApp();
let smtp: SmtpSink;
let meta: MetaPeer;
beforeAll(async () => {
  [smtp, meta] = await Promise.all([startSmtpSink(), startMetaPeer()]);
});
afterAll(async () => {
  await Promise.all([smtp?.close(), meta?.close()]);
});

async function world() {
  const workspace = await newWorkspace(t);
  const api = withKey(t, await newApiKey(t, workspace.id));
  return { workspace, api, ctx: systemContext(workspace.id, 'test') };
}

function smtpSettings(extra: Record<string, unknown> = {}) {
  return {
    host: smtp.host,
    port: smtp.port,
    from_email: 'hola@clinic.example',
    from_name: 'Clínica Sol',
    user: 'mailer',
    password: 'p4ssw0rd-secret',
    ...extra,
  };
}

describe('channels API', () => {
  it('every workspace has an Outbox, the default, which cannot be deleted', async () => {
    const { api } = await world();
    const list = await api('GET', '/api/v1/channels');
    expect(list.statusCode, list.body).toBe(200);
    const [outbox] = list.json().channels;
    expect(outbox).toMatchObject({
      provider: 'outbox',
      is_default: true,
      kinds: ['email', 'sms', 'whatsapp'],
      daily_cap: null,
    });
    expect(list.json().channels).toHaveLength(1);
    const again = await api('GET', '/api/v1/channels');
    expect(again.json().channels).toHaveLength(1);
    const del = await api('DELETE', `/api/v1/channels/${outbox.id}`);
    expect(del.statusCode).toBe(422);
  });

  it('seals secrets at rest, never returns them, keeps them on a masked PATCH and audits without them', async () => {
    const { api, workspace } = await world();
    const created = await api('POST', '/api/v1/channels', {
      provider: 'smtp',
      name: 'Mailer',
      settings: smtpSettings(),
    });
    expect(created.statusCode, created.body).toBe(201);
    const channel = created.json();
    expect(channel.settings).toMatchObject({ host: smtp.host, port: smtp.port, password: MASK });
    expect(channel.secrets_set).toEqual(['password']);
    expect(channel).toMatchObject({ rate_per_second: 10, daily_cap: null, kinds: ['email'] });
    expect(created.body).not.toContain('p4ssw0rd-secret');
    const [row] = (
      await t.app.dbHandle.pool.query('select settings, sealed_secrets from channels where id = $1', [
        channel.id,
      ])
    ).rows;
    expect(JSON.stringify(row)).not.toContain('p4ssw0rd-secret');
    expect(row.sealed_secrets).toMatch(/^v1\./);

    const patched = await api('PATCH', `/api/v1/channels/${channel.id}`, {
      settings: { ...channel.settings, from_name: 'Sol' },
      daily_cap: 500,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      daily_cap: 500,
      secrets_set: ['password'],
      settings: { from_name: 'Sol' },
    });
    const audit = await t.app.dbHandle.pool.query(
      "select changes::text from audit_log where workspace_id = $1 and entity_type = 'channel'",
      [workspace.id],
    );
    expect(audit.rows.length).toBe(2);
    expect(audit.rows.map((r) => r.changes).join()).not.toContain('p4ssw0rd-secret');

    // The secret still works: a test message goes through with the stored password.
    const before = smtp.messages.length;
    const test = await api('POST', `/api/v1/channels/${channel.id}/test`, { to: 'me@clinic.example' });
    expect(test.statusCode, test.body).toBe(200);
    expect(test.json()).toMatchObject({ status: 'sent', error: null });
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail!.to).toEqual(['me@clinic.example']);
    expect(mail!.headers.from).toContain('Sol');
    const health = (await api('GET', `/api/v1/channels/${channel.id}`)).json().health;
    expect(health).toMatchObject({ last_test_ok: true, last_test_error: null, sent_24h: 1, failed_24h: 0 });

    const cleared = await api('PATCH', `/api/v1/channels/${channel.id}`, {
      settings: { password: null, user: null },
    });
    expect(cleared.json().secrets_set).toEqual([]);
  });

  it('names the bad field: unknown setting, missing required, wrong type, bad email', async () => {
    const { api } = await world();
    const response = await api('POST', '/api/v1/channels', {
      provider: 'smtp',
      settings: { host: 'x', port: 'twenty', from_email: 'not-an-email', colour: 'red' },
    });
    expect(response.statusCode).toBe(400);
    const paths = response
      .json()
      .error.details.map((d: { path: string }) => d.path)
      .sort();
    expect(paths).toEqual(['/settings/colour', '/settings/from_email', '/settings/port']);
    const missing = await api('POST', '/api/v1/channels', {
      provider: 'meta_whatsapp',
      settings: { phone_number_id: '1' },
    });
    expect(
      missing
        .json()
        .error.details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual([
      '/settings/access_token',
      '/settings/app_secret',
      '/settings/business_account_id',
      '/settings/verify_token',
    ]);
    const provider = await api('POST', '/api/v1/channels', { provider: 'pigeon' });
    expect(provider.statusCode).toBe(400);
    expect((await api('GET', '/api/v1/channels')).json().channels).toHaveLength(1);
  });

  it('a failing test records the error as the channel health', async () => {
    const { api } = await world();
    const created = await api('POST', '/api/v1/channels', { provider: 'smtp', settings: smtpSettings() });
    smtp.failNext(550, 'No such user here');
    const test = await api('POST', `/api/v1/channels/${created.json().id}/test`, {
      to: 'nobody@clinic.example',
    });
    expect(test.json()).toMatchObject({ status: 'failed', error: { code: 'SMTP_550', retryable: false } });
    const health = (await api('GET', `/api/v1/channels/${created.json().id}`)).json().health;
    expect(health.last_test_ok).toBe(false);
    expect(health.last_test_error).toContain('No such user');
    const bad = await api('POST', `/api/v1/channels/${created.json().id}/test`, { to: 'not an address' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('/to');
  });

  it('only admins change channels; marketers test; viewers read', async () => {
    const owner = await newUser(t);
    const workspace = await newWorkspace(t, owner);
    const marketer = await newUser(t);
    await join(t, workspace.id, marketer, 'marketer');
    const session = await signIn(t, marketer.email);
    const create = await session.request('POST', '/api/v1/channels', {
      workspace: workspace.id,
      payload: { provider: 'smtp', settings: smtpSettings() },
    });
    expect(create.statusCode).toBe(403);
    const list = await session.request('GET', '/api/v1/channels', { workspace: workspace.id });
    const outboxId = list.json().channels[0].id;
    const test = await session.request('POST', `/api/v1/channels/${outboxId}/test`, {
      workspace: workspace.id,
      payload: { to: '+34600111222', kind: 'sms' },
    });
    expect(test.json()).toMatchObject({ status: 'sent' });
  });

  it("another workspace's key gets 404 on these channels", async () => {
    const a = await world();
    const b = await world();
    const created = await a.api('POST', '/api/v1/channels', { provider: 'smtp', settings: smtpSettings() });
    const id = created.json().id;
    expect((await b.api('GET', `/api/v1/channels/${id}`)).statusCode).toBe(404);
    expect((await b.api('PATCH', `/api/v1/channels/${id}`, { name: 'mine' })).statusCode).toBe(404);
    expect((await b.api('POST', `/api/v1/channels/${id}/test`, { to: 'x@y.example' })).statusCode).toBe(404);
    expect((await b.api('DELETE', `/api/v1/channels/${id}`)).statusCode).toBe(404);
    await expect(
      t.app.channels.sendThroughChannel(t.app.dbHandle.db, b.ctx, id, {
        channel: 'email',
        to: 'x@y.example',
        text: 'x',
        marketing: false,
        workspaceId: b.workspace.id,
      }),
    ).rejects.toThrow(/not found/);
    expect((await a.api('GET', `/api/v1/channels/${id}`)).statusCode).toBe(200);
  });

  it('making a channel the default moves the flag; deleting it gives it back to the Outbox', async () => {
    const { api } = await world();
    const created = await api('POST', '/api/v1/channels', {
      provider: 'smtp',
      settings: smtpSettings(),
      is_default: true,
    });
    let channels = (await api('GET', '/api/v1/channels')).json().channels;
    expect(
      channels.filter((c: { is_default: boolean }) => c.is_default).map((c: { id: string }) => c.id),
    ).toEqual([created.json().id]);
    expect((await api('DELETE', `/api/v1/channels/${created.json().id}`)).statusCode).toBe(204);
    channels = (await api('GET', '/api/v1/channels')).json().channels;
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatchObject({ provider: 'outbox', is_default: true });
  });

  it('deleting a channel keeps the messages sent through it and their history, wipes its secrets, and nothing else finds it', async () => {
    const { api, ctx, workspace } = await world();
    const created = await api('POST', '/api/v1/channels', {
      provider: 'smtp',
      name: 'Old relay',
      settings: smtpSettings(),
    });
    const id = created.json().id as string;
    const client = await api('POST', '/api/v1/clients', { first_name: 'Ana', email: 'ana@example.com' });
    const sent = await t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, id, {
      channel: 'email',
      to: 'ana@example.com',
      subject: 'Hola',
      text: 'Hola Ana',
      marketing: false,
      workspaceId: workspace.id,
      clientId: client.json().id,
    });
    expect(sent.status).toBe('sent');
    const messagesOf = async () =>
      (
        await t.app.dbHandle.pool.query<{ status: string; history: number }>(
          'select status, jsonb_array_length(status_history)::int as history from channel_messages where channel_id = $1',
          [id],
        )
      ).rows;
    const before = await messagesOf();
    expect(before).toHaveLength(1);

    expect((await api('DELETE', `/api/v1/channels/${id}`)).statusCode).toBe(204);
    // "Messages already sent keep their history", as the dashboard's confirmation says.
    expect(await messagesOf()).toEqual(before);
    const row = (
      await t.app.dbHandle.pool.query(
        'select name, settings, sealed_secrets, deleted_at from channels where id = $1',
        [id],
      )
    ).rows[0];
    expect(row).toMatchObject({ name: 'Old relay', settings: {}, sealed_secrets: null });
    expect(row.deleted_at).not.toBeNull();
    // Gone for everything else: read, list, change, delete again, send, webhooks.
    expect((await api('GET', `/api/v1/channels/${id}`)).statusCode).toBe(404);
    expect((await api('PATCH', `/api/v1/channels/${id}`, { name: 'Back' })).statusCode).toBe(404);
    expect((await api('DELETE', `/api/v1/channels/${id}`)).statusCode).toBe(404);
    expect(
      (await api('GET', '/api/v1/channels')).json().channels.map((c: { id: string }) => c.id),
    ).not.toContain(id);
    await expect(
      t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, id, {
        channel: 'email',
        to: 'ana@example.com',
        subject: 'Hola',
        text: 'Hola',
        marketing: false,
        workspaceId: workspace.id,
      }),
    ).rejects.toThrow(/not found/);
    expect(await findChannelForWebhook(t.app.dbHandle.db, id)).toBeNull();
  });
});

describe('a channel campaigns will still send through', () => {
  it('cannot be deleted (409 naming them) while a scheduled, sending or paused campaign names it or gets it as the default; drafts do not count, and a draft cannot be sent through a deleted one', async () => {
    const { api } = await world();
    const other = await world();
    const relay = await api('POST', '/api/v1/channels', {
      provider: 'smtp',
      name: 'Relay',
      settings: smtpSettings(),
    });
    expect(relay.statusCode, relay.body).toBe(201);
    const id = relay.json().id as string;
    const client = await api('POST', '/api/v1/clients', {
      first_name: 'Ana',
      email: 'ana@example.com',
      consent: { email: true },
    });
    const campaign = async (name: string, channelId: string | null) => {
      const created = await api('POST', '/api/v1/campaigns', {
        name,
        channel: 'email',
        ...(channelId ? { channel_id: channelId } : {}),
        content: { subject: 'Hola', body: '<p>Hola</p>' },
        audience: { client_ids: [client.json().id] },
      });
      expect(created.statusCode, created.body).toBe(201);
      return created.json().id as string;
    };
    const usedBy = async () => (await api('GET', `/api/v1/channels/${id}`)).json().used_by;

    const draft = await campaign('Draft', id);
    expect(await usedBy()).toEqual([]);
    const scheduled = await campaign('Spring', id);
    const at = new Date(Date.now() + 86_400_000).toISOString();
    expect((await api('POST', `/api/v1/campaigns/${scheduled}/send`, { at })).json().status).toBe(
      'scheduled',
    );
    expect(await usedBy()).toEqual([
      { type: 'campaign', id: scheduled, name: 'Spring', status: 'scheduled' },
    ]);
    const listed = (await api('GET', '/api/v1/channels')).json().channels;
    expect(listed.find((c: { id: string }) => c.id === id).used_by).toHaveLength(1);
    const refused = await api('DELETE', `/api/v1/channels/${id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'CONFLICT',
      message: '"Relay" cannot be deleted yet: a campaign still sends through it',
      details: [
        {
          path: '/used_by/0',
          message: `campaign "Spring" (${scheduled}) is scheduled: cancel it, or change its channel first`,
        },
      ],
    });

    // A campaign that names no channel gets the default for its kind: this relay, once it is the default.
    expect((await api('PATCH', `/api/v1/channels/${id}`, { is_default: true })).statusCode).toBe(200);
    const byDefault = await campaign('Default', null);
    expect((await api('POST', `/api/v1/campaigns/${byDefault}/send`, {})).json().status).toBe('sending');
    expect((await api('POST', `/api/v1/campaigns/${scheduled}/cancel`, {})).statusCode).toBe(200);
    expect(await usedBy()).toEqual([{ type: 'campaign', id: byDefault, name: 'Default', status: 'sending' }]);
    expect((await api('DELETE', `/api/v1/channels/${id}`)).statusCode).toBe(409);

    // Another workspace sees none of it and cannot touch the channel.
    const theirs = (await other.api('GET', '/api/v1/channels')).json().channels;
    expect(theirs.flatMap((c: { used_by: unknown[] }) => c.used_by)).toEqual([]);
    expect((await other.api('DELETE', `/api/v1/channels/${id}`)).statusCode).toBe(404);

    expect((await api('POST', `/api/v1/campaigns/${byDefault}/cancel`, {})).statusCode).toBe(200);
    expect(await usedBy()).toEqual([]);
    expect((await api('DELETE', `/api/v1/channels/${id}`)).statusCode).toBe(204);
    // The draft that named it is refused at Send, on its channel, instead of failing later.
    const send = await api('POST', `/api/v1/campaigns/${draft}/send`, {});
    expect(send.statusCode).toBe(409);
    expect(send.json().error.details).toEqual([{ path: '/channel_id', message: 'this channel was deleted' }]);
    expect((await api('GET', `/api/v1/campaigns/${draft}`)).json().status).toBe('draft');
  });
});

describe('a delete racing a Send', () => {
  it('waits for a Send that is committing through the channel, and then sees its campaign', async () => {
    const { api, workspace } = await world();
    const relay = await api('POST', '/api/v1/channels', {
      provider: 'smtp',
      name: 'Relay',
      settings: smtpSettings(),
    });
    const id = relay.json().id as string;
    const client = await api('POST', '/api/v1/clients', { first_name: 'Ana', email: 'ana@example.com' });
    const created = await api('POST', '/api/v1/campaigns', {
      name: 'Racing',
      channel: 'email',
      channel_id: id,
      content: { subject: 'Hola', body: '<p>Hola</p>' },
      audience: { client_ids: [client.json().id] },
    });
    const campaignId = created.json().id as string;
    // A Send holding what sendCampaign holds: the channels share-locked, its campaign scheduled, not committed.
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let sending!: Promise<void>;
    await new Promise<void>((locked) => {
      sending = t.app.dbHandle.db.transaction(async (tx) => {
        await lockChannelsForSend(tx, workspace.id, id);
        await tx.execute(sql`update campaigns set status = 'scheduled' where id = ${campaignId}`);
        locked();
        await committing;
      });
    });
    let answered = false;
    const deletion = api('DELETE', `/api/v1/channels/${id}`).then((response) => {
      answered = true;
      return response;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    commit();
    await sending;
    expect((await deletion).statusCode).toBe(409);
  });
});

describe('sending through a channel', () => {
  it('the Outbox stores each message as the recipient would see it, with headers and SMS segments', async () => {
    const { api, ctx, workspace } = await world();
    const outboxId = (await api('GET', '/api/v1/channels')).json().channels[0].id;
    const client = await api('POST', '/api/v1/clients', { first_name: 'Ana', email: 'ana@example.com' });
    const campaignId = '11111111-2222-4333-8444-555555555555';
    const email = await t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, outboxId, {
      channel: 'email',
      to: 'ana@example.com',
      subject: 'Vuelve este mes',
      html: '<h1>Hola Ana</h1>',
      text: 'Hola Ana',
      marketing: true,
      unsubscribeUrl: 'https://clinic.example/u/abc',
      workspaceId: workspace.id,
      clientId: client.json().id,
      campaignId,
    });
    expect(email.status).toBe('sent');
    await t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, outboxId, {
      channel: 'sms',
      to: '+34600111222',
      text: 'Hola Ana 😊 '.repeat(7),
      marketing: false,
      workspaceId: workspace.id,
    });
    const all = await api('GET', '/api/v1/outbox');
    expect(all.statusCode, all.body).toBe(200);
    const [sms, mail] = all.json().messages;
    expect(sms).toMatchObject({ kind: 'sms', sms: { encoding: 'UCS-2', segments: 2 }, status: 'sent' });
    expect(mail).toMatchObject({
      kind: 'email',
      subject: 'Vuelve este mes',
      html: '<h1>Hola Ana</h1>',
      text: 'Hola Ana',
      campaign_id: campaignId,
      headers: {
        'List-Unsubscribe': '<https://clinic.example/u/abc>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
    const byClient = await api('GET', `/api/v1/outbox?client_id=${client.json().id}`);
    expect(byClient.json().messages.map((m: { id: string }) => m.id)).toEqual([mail.id]);
    const byCampaign = await api('GET', `/api/v1/outbox?campaign_id=${campaignId}&limit=1`);
    expect(byCampaign.json()).toMatchObject({ messages: [{ id: mail.id }], next_cursor: null });
    const other = await world();
    expect((await other.api('GET', '/api/v1/outbox')).json().messages).toEqual([]);
  });

  it('refuses a marketing email without an https unsubscribe URL, and a message of a kind the channel lacks', async () => {
    const { api, ctx, workspace } = await world();
    const created = await api('POST', '/api/v1/channels', { provider: 'smtp', settings: smtpSettings() });
    const base = {
      channel: 'email' as const,
      to: 'ana@example.com',
      text: 'Hola',
      marketing: true,
      workspaceId: workspace.id,
    };
    const none = await t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, created.json().id, base);
    expect(none).toMatchObject({ status: 'failed', code: 'INVALID_MESSAGE', retryable: false });
    const plain = await t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, created.json().id, {
      ...base,
      unsubscribeUrl: 'http://clinic.example/u/x',
    });
    expect(plain).toMatchObject({ status: 'failed', code: 'INVALID_MESSAGE' });
    const sms = await t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, created.json().id, {
      ...base,
      channel: 'sms',
      to: '+34600111222',
    });
    expect(sms).toMatchObject({ status: 'failed', code: 'CHANNEL_KIND_MISMATCH' });
  });

  it('stops at the daily cap with a retry after the next UTC midnight', async () => {
    const { api, ctx, workspace } = await world();
    const outboxId = (await api('GET', '/api/v1/channels')).json().channels[0].id;
    await api('PATCH', `/api/v1/channels/${outboxId}`, { daily_cap: 2 });
    const send = () =>
      t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, outboxId, {
        channel: 'sms',
        to: '+34600111222',
        text: 'x',
        marketing: false,
        workspaceId: workspace.id,
      });
    expect((await send()).status).toBe('sent');
    expect((await send()).status).toBe('sent');
    const third = await send();
    expect(third).toMatchObject({ status: 'failed', code: 'DAILY_CAP', retryable: true });
    expect((third as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(86_400_000);
  });

  it('paces a channel at its messages per second', async () => {
    const { api, ctx, workspace } = await world();
    const outboxId = (await api('GET', '/api/v1/channels')).json().channels[0].id;
    await api('PATCH', `/api/v1/channels/${outboxId}`, { rate_per_second: 10 });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 6 }, () =>
        t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, outboxId, {
          channel: 'sms',
          to: '+34600111222',
          text: 'x',
          marketing: false,
          workspaceId: workspace.id,
        }),
      ),
    );
    // Six messages at 10/s: the last one leaves 500 ms after the first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('syncs WhatsApp templates across pages and offers only approved ones', async () => {
    const { api } = await world();
    const created = await api('POST', '/api/v1/channels', {
      provider: 'meta_whatsapp',
      settings: meta.channelSettings({ app_secret: 's' }),
    });
    expect(created.json()).toMatchObject({ rate_per_second: 80, daily_cap: 250 });
    const synced = await api('POST', `/api/v1/channels/${created.json().id}/whatsapp-templates/sync`);
    expect(synced.statusCode, synced.body).toBe(200);
    expect(synced.json().templates.map((t: { name: string }) => t.name)).toEqual([
      'appointment_reminder',
      'welcome',
    ]);
    const all = await api('GET', `/api/v1/channels/${created.json().id}/whatsapp-templates?all=true`);
    expect(all.json().templates).toHaveLength(4);
  });

  it("joins the client's lifecycle: in the GDPR export, scrubbed on erasure", async () => {
    const { api, ctx, workspace } = await world();
    const outboxId = (await api('GET', '/api/v1/channels')).json().channels[0].id;
    const client = (
      await api('POST', '/api/v1/clients', {
        first_name: 'Eva',
        email: 'eva@example.com',
        phone: '+34600999888',
      })
    ).json();
    const windows = () =>
      t.app.dbHandle.pool
        .query('select count(*)::int as n from whatsapp_windows where workspace_id = $1', [workspace.id])
        .then((r) => r.rows[0].n as number);
    await t.app.dbHandle.pool.query(
      "insert into whatsapp_windows (workspace_id, phone, last_inbound_at) values ($1, '+34600999888', now())",
      [workspace.id],
    );
    await t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, outboxId, {
      channel: 'email',
      to: 'eva@example.com',
      subject: 'Tu cita',
      text: 'Hola Eva',
      marketing: false,
      workspaceId: workspace.id,
      clientId: client.id,
    });
    const exported = await api('GET', `/api/v1/clients/${client.id}/export`);
    expect(exported.json().channel_messages).toMatchObject([{ to: 'eva@example.com', subject: 'Tu cita' }]);
    const erased = await api('POST', `/api/v1/clients/${client.id}/erase`, { confirm: true });
    expect(erased.statusCode, erased.body).toBeLessThan(300);
    const [message] = (await api('GET', `/api/v1/outbox?client_id=${client.id}`)).json().messages;
    expect(message).toMatchObject({ to: 'erased', subject: null, text: null, status: 'sent' });
    expect(await windows()).toBe(0);
  });

  it('picks the channel for a kind: the default when it carries it, else one that does, else the Outbox', async () => {
    const { api, workspace } = await world();
    const db = t.app.dbHandle.db;
    expect((await t.app.channels.channelForKind(db, workspace.id, 'sms')).provider).toBe('outbox');
    const mail = await api('POST', '/api/v1/channels', {
      provider: 'smtp',
      settings: smtpSettings(),
      is_default: true,
    });
    expect((await t.app.channels.channelForKind(db, workspace.id, 'email')).id).toBe(mail.json().id);
    expect((await t.app.channels.channelForKind(db, workspace.id, 'sms')).provider).toBe('outbox');
    const wa = await api('POST', '/api/v1/channels', {
      provider: 'evolution',
      settings: { base_url: 'http://127.0.0.1:9', api_key: 'k', instance: 'i' },
    });
    expect((await t.app.channels.channelForKind(db, workspace.id, 'whatsapp')).id).toBe(wa.json().id);
  });
});
