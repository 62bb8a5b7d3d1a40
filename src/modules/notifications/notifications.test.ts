import type { AddressInfo } from 'node:net';
import { runOnce } from 'graphile-worker';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  join,
  newApiKey,
  newUser,
  newWorkspace,
  setupTestApp,
  signIn,
  withKey,
} from '../../../test/support/app.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { notifyMembers } from './notifications.service.ts';

// A real SMTP peer on a free port: the product's system mail goes there.
const received: Array<{ to: string[]; raw: string }> = [];
let rejectNext = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    let raw = '';
    stream.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    stream.on('end', () => {
      if (rejectNext > 0) {
        rejectNext--;
        const error = Object.assign(new Error('mailbox busy'), { responseCode: 451 });
        return callback(error);
      }
      received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
      callback();
    });
  },
});
const env: Record<string, string> = {};
beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  env.MAIL_FROM = 'Clientela <alerts@clientela.test>';
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

const t = setupTestApp(env);

/** The Subject header, RFC 2047 encoded-words (B or Q) decoded. */
function subjectOf(raw: string): string {
  const header = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(raw)?.[1] ?? '';
  return header
    .replace(/\r\n[ \t]/g, ' ')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    )
    .trim();
}

async function runJobs() {
  await runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });
}

describe('notifications', () => {
  it('reach the chosen members only, by dashboard and by email, and are read per person', async () => {
    const owner = await newUser(t, 'Olga');
    const workspace = await newWorkspace(t, owner);
    const agent = await newUser(t, 'Abel');
    await join(t, workspace.id, agent, 'agent');
    const stranger = await newUser(t, 'Sara'); // not a member: never notified
    const db = t.app.dbHandle.db;
    const sent = await db.transaction((tx) =>
      notifyMembers(
        tx,
        workspace.id,
        [owner.id, agent.id, stranger.id],
        {
          kind: 'segment_alert',
          title: '3 clients entered “VIP”',
          body: 'Ana, Luis and Eva',
          link: '/segments/x',
        },
        { email: true, mailConfigured: t.app.mailer.configured },
      ),
    );
    expect(sent).toBe(2);
    await runJobs();
    expect(received.flatMap((m) => m.to).sort()).toEqual([agent.email, owner.email].sort());
    expect(subjectOf(received[0]!.raw)).toBe('3 clients entered “VIP”');
    expect(received[0]!.raw).toContain('From: Clientela <alerts@clientela.test>');

    const asOwner = await signIn(t, owner.email);
    const list = (await asOwner.request('GET', '/api/v1/notifications', { workspace: workspace.id })).json();
    expect(list.unread_count).toBe(1);
    expect(list.notifications[0]).toMatchObject({
      kind: 'segment_alert',
      link: '/segments/x',
      email_status: 'sent',
      read_at: null,
    });
    const id = list.notifications[0].id;
    // Another member cannot mark the owner's notification.
    const asAgent = await signIn(t, agent.email);
    expect(
      (await asAgent.request('POST', `/api/v1/notifications/${id}/read`, { workspace: workspace.id }))
        .statusCode,
    ).toBe(404);
    const read = await asOwner.request('POST', `/api/v1/notifications/${id}/read`, {
      workspace: workspace.id,
    });
    expect(read.json()).toEqual({ marked: 1 });
    expect(
      (await asOwner.request('GET', '/api/v1/notifications?unread=true', { workspace: workspace.id })).json(),
    ).toMatchObject({ notifications: [], unread_count: 0 });
    expect(
      (await asAgent.request('POST', '/api/v1/notifications/read-all', { workspace: workspace.id })).json(),
    ).toEqual({ marked: 1 });

    // An API key has nobody to notify: an empty list, not an error.
    const key = withKey(t, await newApiKey(t, workspace.id, 'viewer'));
    expect((await key('GET', '/api/v1/notifications')).json()).toEqual({
      notifications: [],
      next_cursor: null,
      unread_count: 0,
    });
  });

  it('retries an email the relay refused until it takes it', async () => {
    const owner = await newUser(t, 'Rita');
    const workspace = await newWorkspace(t, owner);
    const db = t.app.dbHandle.db;
    rejectNext = 1;
    await db.transaction((tx) =>
      notifyMembers(
        tx,
        workspace.id,
        [owner.id],
        { kind: 'segment_alert', title: 'Retry me' },
        { email: true, mailConfigured: true },
      ),
    );
    const before = received.length;
    await runJobs(); // refused (451): stays pending, the job is retried later
    const session = await signIn(t, owner.email);
    const first = (await session.request('GET', '/api/v1/notifications', { workspace: workspace.id })).json();
    expect(first.notifications[0].email_status).toBe('pending');
    await db.execute(
      // Make the retry due now instead of after graphile-worker's backoff.
      (await import('drizzle-orm'))
        .sql`update graphile_worker._private_jobs set run_at = now() where task_id in
        (select id from graphile_worker._private_tasks where identifier = 'notifications.email')`,
    );
    await runJobs();
    expect(received.length).toBe(before + 1);
    const second = (
      await session.request('GET', '/api/v1/notifications', { workspace: workspace.id })
    ).json();
    expect(second.notifications[0].email_status).toBe('sent');
  });
});
