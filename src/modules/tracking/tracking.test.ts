import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';

const t = setupTestApp({ PUBLIC_URL: 'https://crm.example.com' });
const CAMPAIGN = '00000000-0000-4000-8000-0000000000cc';

async function trackedMessage() {
  const ws = await newWorkspace(t);
  const api = withKey(t, await newApiKey(t, ws.id, 'owner'));
  const created = await api('POST', '/api/v1/clients', { first_name: 'Ana', email: 'ana@example.com' });
  const clientId = created.json().id as string;
  const message = await t.app.templates.renderMessage(t.app.dbHandle.db, ws.id, {
    channel: 'email',
    content: { subject: 'Hi', body: '<a href="https://shop.example.com/sale?x=1&amp;y=2">Sale</a>' },
    clientId,
    campaignId: CAMPAIGN,
  });
  const html = message.html!;
  const click = new URL(/href="(https:\/\/crm\.example\.com\/t\/c\/[^"]+)"/.exec(html)![1]!).pathname;
  const pixel = new URL(/src="(https:\/\/crm\.example\.com\/t\/o\/[^"]+)"/.exec(html)![1]!).pathname;
  const events = async () =>
    (await api('GET', `/api/v1/events?client_id=${clientId}`)).json().events as {
      type: string;
      properties: Record<string, string>;
    }[];
  return {
    api,
    click,
    pixel,
    events,
    clientId,
    workspaceId: ws.id,
    html,
    text: message.text!,
    unsubscribeUrl: message.unsubscribeUrl,
  };
}

describe('email tracking', () => {
  it('redirects a click to the address that was in the message and records it once per campaign and link', async () => {
    const { click, events } = await trackedMessage();
    const followed = await t.inject({ method: 'GET', url: click });
    expect(followed.statusCode).toBe(302);
    expect(followed.headers.location).toBe('https://shop.example.com/sale?x=1&y=2');
    await t.inject({ method: 'GET', url: click });
    const clicks = (await events()).filter((e) => e.type === 'email_clicked');
    expect(clicks).toHaveLength(1);
    expect(clicks[0]!.properties).toEqual({
      campaign_id: CAMPAIGN,
      url: 'https://shop.example.com/sale?x=1&y=2',
    });
  });

  it('answers the pixel with a GIF and records the open', async () => {
    const { pixel, events } = await trackedMessage();
    const opened = await t.inject({ method: 'GET', url: pixel });
    expect(opened.statusCode).toBe(200);
    expect(opened.headers['content-type']).toBe('image/gif');
    expect(opened.rawPayload.subarray(0, 6).toString()).toBe('GIF89a');
    expect((await events()).map((e) => e.type)).toEqual(['email_opened']);
  });

  it('never redirects to an address it did not sign (no open redirect)', async () => {
    const { click } = await trackedMessage();
    const token = click.slice('/t/c/'.length);
    const [payload, mac] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const evil = Buffer.from(JSON.stringify({ ...claims, u: 'https://evil.example.net/' })).toString(
      'base64url',
    );
    const forged = await t.inject({ method: 'GET', url: `/t/c/${evil}.${mac}` });
    expect(forged.statusCode).toBe(404);
    expect(forged.headers.location).toBeUndefined();
    expect((await t.inject({ method: 'GET', url: '/t/c/https%3A%2F%2Fevil.example.net' })).statusCode).toBe(
      404,
    );
    // An open token is not a click token either.
    const pixelAsClick = await t.inject({ method: 'GET', url: `/t/c/${token.replace(/\.gif$/, '')}x` });
    expect(pixelAsClick.statusCode).toBe(404);
  });

  it('records nothing once the workspace turns tracking off, while old links still work', async () => {
    const { api, click, pixel, events } = await trackedMessage();
    await api('PATCH', '/api/v1/workspace', { email_tracking: false });
    expect((await t.inject({ method: 'GET', url: click })).statusCode).toBe(302);
    expect((await t.inject({ method: 'GET', url: pixel })).statusCode).toBe(200);
    expect(await events()).toEqual([]);
  });

  it('shows an Outbox email without its pixel and with its links untracked, so looking at it records nothing', async () => {
    const { api, events, clientId, workspaceId, html, text, unsubscribeUrl } = await trackedMessage();
    // A stranger's pixel and a link that only looks like ours: not signed by us, left as they are.
    const sent = html.replace(
      '</body>',
      '<img src="https://crm.example.com/t/o/forged.gif"><a href="https://crm.example.com/t/c/forged">x</a></body>',
    );
    const outboxId = (await api('GET', '/api/v1/channels')).json().channels[0].id as string;
    const stored = await t.app.channels.sendThroughChannel(
      t.app.dbHandle.db,
      systemContext(workspaceId, 'test'),
      outboxId,
      {
        channel: 'email',
        to: 'ana@example.com',
        subject: 'Hi',
        html: sent,
        text,
        marketing: true,
        unsubscribeUrl,
        workspaceId,
        clientId,
      },
    );
    expect(stored.status, JSON.stringify(stored)).toBe('sent');
    const listed = await api('GET', '/api/v1/outbox');
    expect(listed.statusCode, listed.body).toBe(200);
    const [message] = listed.json().messages as Array<{ html: string; html_preview: string }>;
    // The record keeps the message as sent.
    expect(message!.html).toBe(sent);
    const preview = message!.html_preview;
    expect(preview).toContain('href="https://shop.example.com/sale?x=1&amp;y=2"');
    expect(preview).toContain('<img src="https://crm.example.com/t/o/forged.gif">');
    expect(preview).toContain('href="https://crm.example.com/t/c/forged"');
    // Everything the preview would load or link to on our host: only the stranger's two.
    const ours = [...preview.matchAll(/(?:src|href)="https:\/\/crm\.example\.com(\/[^"]*)"/g)].map(
      (m) => m[1]!,
    );
    expect(ours.filter((u) => u.startsWith('/t/'))).toEqual(['/t/o/forged.gif', '/t/c/forged']);
    for (const url of ours) await t.inject({ method: 'GET', url });
    expect(await events()).toEqual([]);
  });
});
