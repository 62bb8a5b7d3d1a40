import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OutgoingMessage } from '../src/modules/channels/channel-types.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { type MetaPeer, startMetaPeer } from '../test/peers/meta-graph.ts';
import { type SmtpSink, startSmtpSink } from '../test/peers/smtp-sink.ts';
import { startTwilioPeer, type TwilioPeer } from '../test/peers/twilio.ts';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../test/support/app.ts';

/**
 * How fast one process pushes messages through sendThroughChannel (checks, provider call against
 * the local peer, channel_messages row) and applies signed status webhooks. Rate limits are set
 * high so the figures are the product's own cost, not the pacing. Prints one line per measure.
 */
const t = setupTestApp();
let smtp: SmtpSink;
let twilio: TwilioPeer;
let meta: MetaPeer;
beforeAll(async () => {
  [smtp, twilio, meta] = await Promise.all([startSmtpSink(), startTwilioPeer(), startMetaPeer()]);
});
afterAll(async () => {
  await Promise.all([smtp?.close(), twilio?.close(), meta?.close()]);
});

async function measure(
  label: string,
  count: number,
  concurrency: number,
  one: (i: number) => Promise<unknown>,
) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${label}: ${count} in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)}/s (concurrency ${concurrency})`,
  );
  return count / seconds;
}

it('measures sends and webhooks per second', async () => {
  const workspace = await newWorkspace(t);
  const api = withKey(t, await newApiKey(t, workspace.id));
  const ctx = systemContext(workspace.id, 'bench');
  const db = t.app.dbHandle.db;
  const create = async (provider: string, settings: Record<string, unknown>) =>
    (
      await api('POST', '/api/v1/channels', { provider, settings, rate_per_second: 10000, daily_cap: null })
    ).json().id as string;
  const outboxId = (await api('GET', '/api/v1/channels')).json().channels[0].id as string;
  await api('PATCH', `/api/v1/channels/${outboxId}`, { rate_per_second: 10000 });
  const smtpId = await create('smtp', {
    host: smtp.host,
    port: smtp.port,
    from_email: 'hola@clinic.example',
  });
  const twilioId = await create('twilio', {
    base_url: twilio.url,
    account_sid: twilio.accountSid,
    auth_token: twilio.authToken,
    from: '+15005550006',
  });
  const metaId = await create('meta_whatsapp', {
    base_url: meta.baseUrl,
    phone_number_id: meta.phoneNumberId,
    business_account_id: meta.businessAccountId,
    access_token: meta.accessToken,
    app_secret: meta.appSecret,
    verify_token: 'v',
  });
  const message = (i: number, over: Partial<OutgoingMessage>): OutgoingMessage => ({
    channel: 'sms',
    to: `+3460${String(1_000_000 + i).padStart(7, '0')}`,
    text: `Hola, cliente ${i}: te esperamos el lunes.`,
    marketing: false,
    workspaceId: workspace.id,
    ...over,
  });
  const send = (id: string, m: OutgoingMessage) => t.app.channels.sendThroughChannel(db, ctx, id, m);

  await measure('outbox sms', 2000, 8, (i) => send(outboxId, message(i, {})));
  await measure('twilio sms (fake API)', 1000, 8, (i) => send(twilioId, message(i, {})));
  await measure('smtp email (smtp-server sink, pool of 3)', 500, 6, (i) =>
    send(
      smtpId,
      message(i, {
        channel: 'email',
        to: `c${i}@example.com`,
        subject: 'Hola',
        html: '<p>Hola</p>',
        marketing: true,
        unsubscribeUrl: 'https://clinic.example/u/x',
      }),
    ),
  );
  const wamids: string[] = [];
  await measure('meta whatsapp template (fake Graph)', 500, 8, async (i) => {
    const r = await send(
      metaId,
      message(i, {
        channel: 'whatsapp',
        whatsappTemplate: { name: 'welcome', language: 'en_US', bodyParameters: ['Ana'] },
      }),
    );
    if (r.status === 'sent') wamids.push(r.providerMessageId);
  });
  const url = `http://127.0.0.1:${await listen()}/webhooks/meta`;
  await measure('meta status webhooks (signed, forward-only)', wamids.length, 8, (i) =>
    meta.sendStatus(url, wamids[i]!, 'delivered'),
  );
  const [row] = (
    await t.app.dbHandle.pool.query(
      "select count(*)::int as n from channel_messages where channel_id = $1 and status = 'delivered'",
      [metaId],
    )
  ).rows;
  expect(row.n).toBe(wamids.length);
}, 600_000);

async function listen(): Promise<number> {
  await t.app.http.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.http.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
