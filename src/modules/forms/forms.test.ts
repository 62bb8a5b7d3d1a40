import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { RATE_LIMIT, wordingVersion } from './forms.service.ts';

// A real SMTP peer: the double opt-in email goes there and the test follows its link.
const received: Array<{ to: string; raw: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    let raw = '';
    stream.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    stream.on('end', () => {
      received.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), raw });
      callback();
    });
  },
});
const env: Record<string, string> = { PUBLIC_URL: 'https://crm.example.com' };
beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

const t = setupTestApp(env);

const EMAIL_WORDING = 'Quiero recibir ofertas por correo electrónico';

async function formIn(options: Record<string, unknown> = {}) {
  const ws = await newWorkspace(t);
  const api = withKey(t, await newApiKey(t, ws.id, 'owner'));
  const created = await api('POST', '/api/v1/forms', {
    name: 'Newsletter',
    title: 'Suscríbete',
    locale: 'es',
    fields: [
      { key: 'first_name', required: true },
      { key: 'email', required: true },
      { key: 'phone', required: false },
    ],
    consents: [
      { channel: 'email', text: EMAIL_WORDING },
      { channel: 'sms', text: 'Acepto recibir SMS' },
    ],
    ...options,
  });
  expect(created.statusCode, created.body).toBe(201);
  return { ws, api, form: created.json() };
}

const post = (id: string, payload: string, ip = '203.0.113.7') =>
  t.inject({
    method: 'POST',
    url: `/f/${id}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload,
    remoteAddress: ip,
  });

async function clientsOf(api: ReturnType<typeof withKey>) {
  return (await api('GET', '/api/v1/clients?sort=created_at')).json().clients as Array<{
    id: string;
    email: string;
    source: string;
    first_name: string;
  }>;
}

describe('signup forms', () => {
  it('creates the client with source form; SMS consent counts at once, email only after the confirmation link', async () => {
    const { api, form } = await formIn();
    expect(form.consents[0]).toEqual({
      channel: 'email',
      text: EMAIL_WORDING,
      version: wordingVersion(EMAIL_WORDING),
    });
    const page = await t.inject({ method: 'GET', url: form.hosted_path });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Suscríbete');
    expect(page.body).toContain(EMAIL_WORDING);

    const before = received.length;
    const submitted = await post(
      form.id,
      'first_name=Marta&email=marta%40example.com&phone=%2B34600999888&consent_email=on&consent_sms=on&website=',
    );
    expect(submitted.statusCode, submitted.body).toBe(200);
    expect(submitted.body).toContain('Te hemos enviado un correo');
    const [client] = await clientsOf(api);
    expect(client).toMatchObject({ first_name: 'Marta', email: 'marta@example.com', source: 'form' });
    const consent = async () => (await api('GET', `/api/v1/clients/${client!.id}/consent`)).json();
    expect((await consent()).consent).toMatchObject({ email: false, sms: true });
    expect((await consent()).history[0]).toMatchObject({
      channel: 'sms',
      source: 'form',
      wording_version: wordingVersion('Acepto recibir SMS'),
    });

    await expect.poll(() => received.length).toBe(before + 1);
    const mail = received.at(-1)!;
    expect(mail.to).toBe('marta@example.com');
    const link = /https:\/\/crm\.example\.com(\/f\/confirm\/[\w.-]+)/.exec(
      mail.raw.replace(/=\r?\n/g, ''),
    )![1]!;
    // Opening the link (as a mail scanner would) only shows the button.
    const opened = await t.inject({ method: 'GET', url: link });
    expect(opened.statusCode).toBe(200);
    expect(opened.body).toContain('Confirmar mi suscripción');
    expect((await consent()).consent.email).toBe(false);
    const confirmed = await t.inject({ method: 'POST', url: link });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('Tu suscripción por correo está confirmada');
    const after = await consent();
    expect(after.consent.email).toBe(true);
    expect(after.history.find((h: { channel: string }) => h.channel === 'email')).toMatchObject({
      source: 'form',
      wording_version: wordingVersion(EMAIL_WORDING),
    });
    // Opening the link again changes nothing; a forged one is refused.
    expect((await t.inject({ method: 'POST', url: link })).statusCode).toBe(200);
    expect((await t.inject({ method: 'GET', url: link })).body).toContain(
      'Tu suscripción por correo está confirmada',
    );
    expect((await consent()).history).toHaveLength(after.history.length);
    expect((await t.inject({ method: 'GET', url: `${link}x` })).statusCode).toBe(404);
    expect((await t.inject({ method: 'POST', url: `${link}x` })).statusCode).toBe(404);

    const listed = (await api('GET', '/api/v1/forms')).json();
    expect(listed.mail_configured).toBe(true);
    expect(listed.forms[0]).toMatchObject({ submissions: 1, pending_confirmations: 0 });
  });

  it('updates the client who is already there instead of creating a second one', async () => {
    const { api, form } = await formIn({ double_opt_in: false });
    await api('POST', '/api/v1/clients', { first_name: 'Old', email: 'pepe@example.com' });
    const response = await post(form.id, 'first_name=Pepe&email=pepe%40example.com&consent_email=on');
    expect(response.statusCode).toBe(200);
    const all = await clientsOf(api);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ first_name: 'Pepe' });
    // Without double opt-in, email consent counts at once.
    expect((await api('GET', `/api/v1/clients/${all[0]!.id}/consent`)).json().consent.email).toBe(true);
  });

  it('stores nothing from a bot that fills the honeypot, and slows down one address', async () => {
    const { api, form } = await formIn({ double_opt_in: false });
    const bot = await post(form.id, 'first_name=Bot&email=bot%40example.com&website=http%3A%2F%2Fspam');
    expect(bot.statusCode).toBe(200);
    expect(await clientsOf(api)).toEqual([]);

    for (let i = 0; i < RATE_LIMIT; i++)
      expect(
        (await post(form.id, `first_name=P${i}&email=p${i}%40example.com`, '198.51.100.9')).statusCode,
      ).toBe(200);
    const limited = await post(form.id, 'first_name=Q&email=q%40example.com', '198.51.100.9');
    expect(limited.statusCode).toBe(429);
    expect(await clientsOf(api)).toHaveLength(RATE_LIMIT);
    // Another address is not affected.
    expect((await post(form.id, 'first_name=R&email=r%40example.com', '198.51.100.10')).statusCode).toBe(200);
  });

  it('answers missing fields with the form again, in its language, and stores nothing', async () => {
    const { api, form } = await formIn();
    const response = await post(form.id, 'first_name=&email=not-an-email');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Este campo es obligatorio.');
    expect(response.body).toContain('Escribe un correo electrónico válido.');
    expect(response.body).toContain('value="not-an-email"');
    expect(await clientsOf(api)).toEqual([]);
  });

  it('refuses forms without a way to reach people, and keeps forms to their workspace', async () => {
    const a = await formIn();
    const b = await formIn();
    const bad = await a.api('POST', '/api/v1/forms', {
      name: 'x',
      fields: [{ key: 'city', required: true }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('/fields');
    expect((await a.api('GET', `/api/v1/forms/${b.form.id}`)).statusCode).toBe(404);
    expect((await a.api('PATCH', `/api/v1/forms/${b.form.id}`, { active: false })).statusCode).toBe(404);
    await b.api('PATCH', `/api/v1/forms/${b.form.id}`, { active: false });
    expect((await t.inject({ method: 'GET', url: `/f/${b.form.id}` })).statusCode).toBe(404);
  });
});
