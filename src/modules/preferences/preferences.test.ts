import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { oneMonthAfter } from './preferences.service.ts';

const t = setupTestApp({ PUBLIC_URL: 'https://crm.example.com' });

async function clientWithLinks(locale = 'fr') {
  const ws = await newWorkspace(t);
  const api = withKey(t, await newApiKey(t, ws.id, 'owner'));
  const created = await api('POST', '/api/v1/clients', {
    first_name: 'Chloé',
    email: 'chloe@example.com',
    phone: '+33612345678',
    locale,
    consent: { email: true, sms: true, whatsapp: true },
  });
  expect(created.statusCode, created.body).toBe(201);
  const clientId = created.json().id as string;
  const message = await t.app.templates.renderMessage(t.app.dbHandle.db, ws.id, {
    channel: 'email',
    content: { subject: 'Promo', body: '<p>Bonjour</p>' },
    clientId,
    campaignId: '00000000-0000-4000-8000-0000000000aa',
  });
  const path = new URL(message.unsubscribeUrl).pathname;
  const consent = async () => (await api('GET', `/api/v1/clients/${clientId}/consent`)).json();
  return { ws, api, clientId, path, consent };
}

const oneClick = (
  url: string,
  payload = 'List-Unsubscribe=One-Click',
  contentType = 'application/x-www-form-urlencoded',
) => t.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload });

describe('one-click unsubscribe (RFC 8058)', () => {
  it('unsubscribes the channel with no cookie or login, answers 200 without redirect, and a repeat changes nothing', async () => {
    const { path, consent } = await clientWithLinks();
    expect((await consent()).consent).toMatchObject({ email: true, sms: true });

    const first = await oneClick(path);
    expect(first.statusCode).toBe(200);
    expect(first.headers.location).toBeUndefined();
    expect(first.body).toBe('Vous êtes désabonné(e).');
    const after = await consent();
    expect(after.consent).toMatchObject({ email: false, sms: true, whatsapp: true });
    const withdrawals = after.history.filter((h: { granted: boolean }) => !h.granted);
    expect(withdrawals).toEqual([
      expect.objectContaining({
        channel: 'email',
        source: 'unsubscribe_link',
        evidence: 'one-click unsubscribe (RFC 8058); campaign 00000000-0000-4000-8000-0000000000aa',
      }),
    ]);

    const again = await oneClick(path);
    expect(again.statusCode).toBe(200);
    expect((await consent()).history).toHaveLength(after.history.length);
  });

  it('takes multipart bodies too', async () => {
    const { path, consent } = await clientWithLinks();
    const boundary = '----clientela';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    const response = await oneClick(path, body, `multipart/form-data; boundary=${boundary}`);
    expect(response.statusCode, response.body).toBe(200);
    expect((await consent()).consent.email).toBe(false);
  });

  it('answers 404 to a bad or altered token and 400 to a body that is not one-click, changing nothing', async () => {
    const { path, consent } = await clientWithLinks();
    const before = await consent();
    const [, , token] = path.split('/');
    const [payload, mac] = token!.split('.');
    const forged = `/u/${Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), ch: 'sms' }),
    ).toString('base64url')}.${mac}`;
    expect((await oneClick(forged)).statusCode).toBe(404);
    expect((await oneClick('/u/not-a-token')).statusCode).toBe(404);
    expect((await t.inject({ method: 'GET', url: '/u/not-a-token' })).statusCode).toBe(404);
    expect((await oneClick(path, 'List-Unsubscribe=Maybe')).statusCode).toBe(400);
    expect(await consent()).toEqual(before);
  });
});

describe('preference page', () => {
  it("shows the client's channels in their language and never changes anything by being opened", async () => {
    const { path, consent } = await clientWithLinks('es');
    const before = await consent();
    const page = await t.inject({ method: 'GET', url: `${path}?view=preferences` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('Tus preferencias de comunicación');
    expect(page.body).toMatch(/name="email" value="on"[^>]*checked/);
    expect((await t.inject({ method: 'GET', url: `${path}?lang=en` })).body).toContain(
      'Your communication preferences',
    );
    expect(await consent()).toEqual(before);
  });

  it('saves channel choices, unsubscribes from all, and files data requests with a one-month deadline', async () => {
    const { path, consent, api, clientId } = await clientWithLinks('en');
    const form = (payload: string) =>
      t.inject({
        method: 'POST',
        url: `${path}/preferences`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      });
    const saved = await form('action=save&email=on');
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Your preferences are saved.');
    expect((await consent()).consent).toMatchObject({ email: true, sms: false, whatsapp: false });

    const all = await form('action=unsubscribe_all');
    expect(all.body).toContain('You are unsubscribed from everything.');
    expect((await consent()).consent).toMatchObject({ email: false, sms: false, whatsapp: false });

    expect((await form('action=erase')).body).toContain('We have your request to erase your data.');
    await form('action=erase');
    await form('action=export');
    const listed = await api('GET', '/api/v1/privacy-requests');
    expect(listed.statusCode).toBe(200);
    const requests = listed.json().requests;
    expect(requests.map((r: { kind: string }) => r.kind).sort()).toEqual(['erasure', 'export']);
    const erasure = requests.find((r: { kind: string }) => r.kind === 'erasure');
    expect(erasure).toMatchObject({ client_id: clientId, status: 'open', overdue: false });
    expect(erasure.due_at).toBe(oneMonthAfter(new Date(erasure.requested_at)).toISOString());

    const done = await api('PATCH', `/api/v1/privacy-requests/${erasure.id}`, { status: 'done' });
    expect(done.json()).toMatchObject({ status: 'done' });
    expect(done.json().resolved_at).not.toBeNull();
  });

  it('keeps the one-month deadline on the last day of shorter months', () => {
    expect(oneMonthAfter(new Date('2026-01-31T10:00:00Z')).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(oneMonthAfter(new Date('2026-03-15T10:00:00Z')).toISOString()).toBe('2026-04-15T10:00:00.000Z');
    expect(oneMonthAfter(new Date('2026-12-31T00:00:00Z')).toISOString()).toBe('2027-01-31T00:00:00.000Z');
  });

  it("does not show one workspace's requests to another", async () => {
    const a = await clientWithLinks();
    const b = await clientWithLinks();
    await t.inject({
      method: 'POST',
      url: `${b.path}/preferences`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'action=export',
    });
    const inB = (await b.api('GET', '/api/v1/privacy-requests')).json().requests[0];
    expect((await a.api('GET', '/api/v1/privacy-requests')).json().requests).toEqual([]);
    expect((await a.api('PATCH', `/api/v1/privacy-requests/${inB.id}`, { status: 'done' })).statusCode).toBe(
      404,
    );
  });
});
