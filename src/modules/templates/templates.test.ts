import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { checkTemplate, translateSeedVariables } from './liquid.ts';
import { smsLength } from './sms.ts';
import { localIso, recordTemplateUse } from './templates.service.ts';

const t = setupTestApp({ PUBLIC_URL: 'https://crm.example.com' });

async function workspace(role: 'owner' | 'viewer' = 'owner') {
  const ws = await newWorkspace(t);
  const key = await newApiKey(t, ws.id, 'owner');
  const api = withKey(t, key);
  const client = await api('POST', '/api/v1/clients', {
    first_name: 'Lucía',
    last_name: 'García',
    email: 'lucia@example.com',
    phone: '+34600111222',
    city: 'Sevilla',
    locale: 'es',
    timezone: 'America/Mexico_City',
    tags: ['vip'],
  });
  expect(client.statusCode, client.body).toBe(201);
  const viewer = role === 'viewer' ? withKey(t, await newApiKey(t, ws.id, 'viewer')) : api;
  return { ws, api, viewer, clientId: client.json().id as string };
}

describe('Liquid checking', () => {
  it('names the line and column of unknown variables and filters, and accepts the known ones', () => {
    const ok = checkTemplate(
      'Hola {{ client.first_name | default: "amigo" }}\n{% for t in client.tags %}{{ t | upcase }}{% endfor %}{{ client.custom.plan }} {{ coupon.code }} {{ now | date: "%H:%M" }} {{ client.tags.size }}',
      '/body',
      { html: true },
    );
    expect(ok.problems).toEqual([]);

    const unknownVariable = checkTemplate('Hi\n  {{ client.nickname }} {{ foo }}', '/body', { html: true });
    expect(unknownVariable.problems.map((p) => [p.line, p.column, p.message.slice(0, 35)])).toEqual([
      [2, 6, 'unknown variable "client.nickname";'],
      [2, 28, 'unknown variable "foo"; use one of '],
    ]);

    const unknownFilter = checkTemplate('a\nb {{ client.name | shout }}', '/subject', { html: false });
    expect(unknownFilter.problems).toEqual([
      expect.objectContaining({ path: '/subject', line: 2, column: 3, message: 'undefined filter: shout' }),
    ]);

    const syntax = checkTemplate('{% if client.name %}no end', '/body', { html: false });
    expect(syntax.problems[0]).toMatchObject({ path: '/body', line: 1, column: 1 });
    expect(syntax.problems[0]!.message).toMatch(/not closed/);

    const include = checkTemplate('x\n{% include "secrets" %}', '/body', { html: false });
    expect(include.problems[0]).toMatchObject({ line: 2, column: 1 });
  });

  it("translates the advisor seed's single-brace variables, leaving Liquid alone", () => {
    expect(
      translateSeedVariables('Hola {nombre_cliente}, soy {nombre_asesor} ({telefono}) {{ client.city }}'),
    ).toBe('Hola {{ client.name }}, soy {{ sender.name }} ({{ client.phone }}) {{ client.city }}');
    expect(translateSeedVariables('{{nombre_cliente}} {otra}')).toBe('{{nombre_cliente}} {otra}');
  });

  it("writes the instant on the client's wall clock with its offset", () => {
    const at = new Date('2026-01-15T23:30:00Z');
    expect(localIso(at, 'Europe/Madrid')).toBe('2026-01-16T00:30:00+01:00');
    expect(localIso(at, 'America/Mexico_City')).toBe('2026-01-15T17:30:00-06:00');
    expect(localIso(at, 'UTC')).toBe('2026-01-15T23:30:00+00:00');
  });

  it('counts SMS segments as carriers do (GSM-7 versus UCS-2)', () => {
    expect(smsLength('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1, remaining: 0 });
    expect(smsLength('a'.repeat(161))).toMatchObject({ encoding: 'GSM-7', segments: 2, units: 161 });
    expect(smsLength('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsLength('ñandú')).toMatchObject({ encoding: 'UCS-2', units: 5, segments: 1 });
    expect(smsLength('😀'.repeat(35))).toMatchObject({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsLength('😀'.repeat(36))).toMatchObject({ encoding: 'UCS-2', units: 72, segments: 2 });
    expect(smsLength('')).toMatchObject({ segments: 0 });
  });
});

describe('templates API', () => {
  it('creates, lists, edits and deletes, refusing unknown variables with line and column', async () => {
    const { api } = await workspace();
    const bad = await api('POST', '/api/v1/templates', {
      name: 'Welcome',
      channel: 'email',
      subject: 'Hi {{ client.first_name }}',
      body: '<p>Hello</p>\n<p>{{ client.favourite_colour }}</p>',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details).toEqual([
      expect.objectContaining({ path: '/body', line: 2, column: 7 }),
    ]);
    expect((await api('GET', '/api/v1/templates')).json().templates).toEqual([]);

    const noSubject = await api('POST', '/api/v1/templates', { name: 'x', channel: 'email', body: 'hi' });
    expect(noSubject.json().error.details).toEqual([expect.objectContaining({ path: '/subject' })]);

    const created = await api('POST', '/api/v1/templates', {
      name: 'Welcome',
      channel: 'email',
      subject: 'Hola {{ client.first_name }}',
      body: '<p>Hola {nombre_cliente}</p>',
      objective: 'onboarding',
    });
    expect(created.statusCode, created.body).toBe(201);
    const template = created.json();
    expect(template).toMatchObject({
      marketing: true,
      usage_count: 0,
      last_used_at: null,
      objective: 'onboarding',
    });

    const edited = await api('PATCH', `/api/v1/templates/${template.id}`, { body: '{{ client.nope }}' });
    expect(edited.statusCode).toBe(400);
    const renamed = await api('PATCH', `/api/v1/templates/${template.id}`, { name: 'Bienvenida' });
    expect(renamed.json()).toMatchObject({ name: 'Bienvenida', body: '<p>Hola {nombre_cliente}</p>' });

    const toSms = await api('PATCH', `/api/v1/templates/${template.id}`, {
      channel: 'sms',
      body: 'Hola {nombre_cliente}',
    });
    expect(toSms.json()).toMatchObject({ channel: 'sms', subject: null });

    const wa = await api('POST', '/api/v1/templates', {
      name: 'Reminder',
      channel: 'whatsapp',
      body: 'Hola {{ client.first_name }}',
      whatsapp_template: {
        name: 'reminder',
        language: 'es',
        body_parameters: ['client.first_name', 'client.bogus'],
      },
    });
    expect(wa.statusCode).toBe(400);
    expect(wa.json().error.details[0].path).toBe('/whatsapp_template/body_parameters/1');

    expect((await api('DELETE', `/api/v1/templates/${template.id}`)).statusCode).toBe(204);
    expect((await api('GET', `/api/v1/templates/${template.id}`)).statusCode).toBe(404);
  });

  it('renders a preview for a real client: email layout, footer in their language, their clock', async () => {
    const { api, viewer, clientId, ws } = await workspace('viewer');
    await api('PATCH', '/api/v1/workspace', {
      brand_color: '#e8590c',
      logo_url: 'https://cdn.example.com/logo.png',
    });
    const preview = await viewer('POST', '/api/v1/templates/preview', {
      channel: 'email',
      subject: '{nombre_cliente}, una oferta',
      body: '<p>Hola {{ client.first_name }} de {{ client.city }} — {{ client.custom.plan | default: "sin plan" }}</p><p><a href="https://shop.example.com/?a=1&amp;b=2">Ver</a></p><p>{{ "<b>" }}</p>',
      client_id: clientId,
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const body = preview.json();
    expect(body.subject).toBe('Lucía García, una oferta');
    expect(body.locale).toBe('es');
    // CSS inlined, brand colour and logo in place, values escaped, unsubscribe footer in Spanish.
    expect(body.html).toContain('border-top: 4px solid #e8590c');
    expect(body.html).toContain('src="https://cdn.example.com/logo.png"');
    expect(body.html).toContain('Hola Lucía de Sevilla — sin plan');
    expect(body.html).toContain('&lt;b&gt;');
    expect(body.html).toContain('Darse de baja');
    expect(body.html).not.toContain('<style>\nbody');
    expect(body.unsubscribe_url).toMatch(/^https:\/\/crm\.example\.com\/u\/[\w-]+\.[\w-]+$/);
    expect(body.unsubscribe_url).not.toContain(clientId);
    expect(body.unsubscribe_url).not.toContain(ws.id);
    // The preview is never tracked.
    expect(body.html).toContain('href="https://shop.example.com/?a=1&amp;b=2"');
    expect(body.html).not.toContain('/t/o/');
    expect(body.text).toContain('Hola Lucía de Sevilla — sin plan');
    expect(body.text).toContain('Ver [https://shop.example.com/?a=1&b=2]');
    expect(body.text).toContain('Darse de baja');

    const clock = await viewer('POST', '/api/v1/templates/preview', {
      channel: 'sms',
      body: '{fecha_actual} {hora_actual} {{ today }}',
      client_id: clientId,
    });
    const [date, time, today] = clock.json().text.split(' ');
    const mexico = localIso(new Date(), 'America/Mexico_City');
    expect(today).toBe(mexico.slice(0, 10));
    expect(date).toBe(mexico.slice(0, 10).split('-').reverse().join('/'));
    expect(time).toBe(mexico.slice(11, 16));
    expect(clock.json().sms).toMatchObject({ encoding: 'GSM-7', segments: 1 });

    const wrong = await viewer('POST', '/api/v1/templates/preview', {
      channel: 'sms',
      body: 'ok\n{{ client.first_name | nope }}',
      client_id: clientId,
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details[0]).toMatchObject({ path: '/body', line: 2 });
  });

  it('renders for the campaign engine: saved template, coupon, tracking only when the workspace has it on', async () => {
    const { api, clientId, ws } = await workspace();
    const created = await api('POST', '/api/v1/templates', {
      name: 'Promo',
      channel: 'email',
      subject: 'Tu cupón {{ coupon.code }}',
      body: '<p>{{ coupon.value }} hasta {{ coupon.expires_at }}</p><a href="https://shop.example.com/x">Comprar</a><a href="mailto:a@b.c">Mail</a>',
    });
    const { db } = t.app.dbHandle;
    const render = () =>
      t.app.templates.renderMessage(db, ws.id, {
        channel: 'email',
        content: { templateId: created.json().id },
        clientId,
        campaignId: '00000000-0000-4000-8000-000000000001',
        coupon: { code: 'LUCIA10', value: '10 %', expires_at: '2026-12-31' },
      });
    const tracked = await render();
    expect(tracked).toMatchObject({ subject: 'Tu cupón LUCIA10', marketing: true, tracked: true });
    expect(tracked.html).toMatch(/href="https:\/\/crm\.example\.com\/t\/c\/[\w.-]+"[^>]*>Comprar/);
    expect(tracked.html).toContain('href="mailto:a@b.c"');
    expect(tracked.html).toMatch(/<img src="https:\/\/crm\.example\.com\/t\/o\/[\w.-]+\.gif"/);
    // The footer's own links are never rewritten: one-click unsubscribe must reach /u/ directly.
    expect(tracked.html).toContain(`href="${tracked.unsubscribeUrl}"`);
    expect(tracked.text).toContain('https://shop.example.com/x');

    await api('PATCH', '/api/v1/workspace', { email_tracking: false });
    const plain = await render();
    expect(plain.tracked).toBe(false);
    expect(plain.html).toContain('href="https://shop.example.com/x"');
    expect(plain.html).not.toContain('/t/o/');

    await expect(
      t.app.templates.renderMessage(db, ws.id, {
        channel: 'sms',
        content: { templateId: created.json().id },
        clientId,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

    await recordTemplateUse(db, ws.id, created.json().id, 25);
    const used = (await api('GET', `/api/v1/templates/${created.json().id}`)).json();
    expect(used.usage_count).toBe(25);
    expect(used.last_used_at).not.toBeNull();
  });

  it('renders a batch exactly as one by one: layout inlined once, tracking, an erased or unknown client as an error', async () => {
    const { api, clientId, ws } = await workspace();
    const second = await api('POST', '/api/v1/clients', {
      first_name: 'Ana <b>',
      email: 'ana@example.com',
      tags: ['nueva'],
    });
    const erased = await api('POST', '/api/v1/clients', { first_name: 'Gone', email: 'gone@example.com' });
    expect(
      (await api('POST', `/api/v1/clients/${erased.json().id}/erase`, { confirm: true })).statusCode,
    ).toBeLessThan(300);
    const { db } = t.app.dbHandle;
    const campaignId = '00000000-0000-4000-8000-000000000002';
    const bodies = [
      '<p>Hola {{ client.first_name }} ({{ client.tags | join: ", " }})</p><a href="https://shop.example.com/{{ client.city | downcase }}">Ver</a><img src="https://shop.example.com/x.png">',
      // Liquid where the HTML parser moves it: the batch must notice and render per message instead.
      '<table><tr>{% if client.first_name %}<td>{{ client.first_name }}</td>{% endif %}</tr></table><a href="https://x.example">x</a>',
    ];
    for (const body of bodies) {
      const content = { subject: 'Hola {{ client.first_name }}', body, marketing: true };
      const batch = await t.app.templates.batchRenderer(db, ws.id, { channel: 'email', content, campaignId });
      const ids = [clientId, second.json().id, erased.json().id, '00000000-0000-4000-8000-0000000000ff'];
      const messages = await batch.render(db, ids);
      for (const id of ids.slice(0, 2)) {
        const one = await t.app.templates.renderMessage(db, ws.id, {
          channel: 'email',
          content,
          clientId: id,
          campaignId,
        });
        const fromBatch = messages.get(id) as typeof one;
        expect(fromBatch).not.toBeInstanceOf(Error);
        // Tracking tokens are signed per link and identical for the same claims.
        expect(fromBatch.html).toBe(one.html);
        expect(fromBatch.text).toBe(one.text);
        expect(fromBatch.subject).toBe(one.subject);
        expect(fromBatch.unsubscribeUrl).toBe(one.unsubscribeUrl);
      }
      expect(messages.get(ids[2]!)).toBeInstanceOf(Error);
      expect(messages.get(ids[3]!)).toBeInstanceOf(Error);
    }
  });

  it('maps WhatsApp provider template parameters from variables; transactional email has no footer', async () => {
    const { api, clientId, ws } = await workspace();
    const wa = await api('POST', '/api/v1/templates', {
      name: 'Reminder',
      channel: 'whatsapp',
      body: 'Hola {{ client.first_name }}, te esperamos',
      whatsapp_template: {
        name: 'reminder',
        language: 'es',
        body_parameters: ['client.first_name', 'client.city'],
      },
    });
    expect(wa.statusCode, wa.body).toBe(201);
    const { db } = t.app.dbHandle;
    const message = await t.app.templates.renderMessage(db, ws.id, {
      channel: 'whatsapp',
      content: { templateId: wa.json().id },
      clientId,
    });
    expect(message.text).toBe('Hola Lucía, te esperamos');
    expect(message.whatsappTemplate).toEqual({
      name: 'reminder',
      language: 'es',
      body_parameters: ['Lucía', 'Sevilla'],
      header_parameters: [],
      button_parameters: [],
    });

    const receipt = await t.app.templates.renderMessage(db, ws.id, {
      channel: 'email',
      content: { subject: 'Recibo', body: '<p>Gracias</p>', marketing: false },
      clientId,
    });
    expect(receipt.marketing).toBe(false);
    expect(receipt.html).not.toContain('Darse de baja');
  });

  it('checks the email look settings of the workspace', async () => {
    const { api } = await workspace();
    const bad = await api('PATCH', '/api/v1/workspace', {
      brand_color: 'red',
      logo_url: 'http://insecure.example/logo.png',
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['/brand_color', '/logo_url']);
    const good = await api('PATCH', '/api/v1/workspace', {
      brand_color: '#E8590C',
      logo_url: null,
      email_tracking: false,
    });
    expect(good.json()).toMatchObject({ brand_color: '#e8590c', logo_url: null, email_tracking: false });
  });

  it("refuses another workspace's templates and clients", async () => {
    const a = await workspace();
    const b = await workspace();
    const inB = await b.api('POST', '/api/v1/templates', { name: 'B', channel: 'sms', body: 'hi' });
    expect((await a.api('GET', `/api/v1/templates/${inB.json().id}`)).statusCode).toBe(404);
    expect((await a.api('PATCH', `/api/v1/templates/${inB.json().id}`, { name: 'x' })).statusCode).toBe(404);
    const crossClient = await a.api('POST', '/api/v1/templates/preview', {
      body: 'hi',
      channel: 'sms',
      client_id: b.clientId,
    });
    expect(crossClient.statusCode).toBe(404);
    const crossTemplate = await a.api('POST', '/api/v1/templates/preview', {
      template_id: inB.json().id,
      client_id: a.clientId,
    });
    expect(crossTemplate.statusCode).toBe(404);
    expect((await b.api('GET', `/api/v1/templates/${inB.json().id}`)).json().name).toBe('B');
  });

  it('lists the variables by group with the workspace’s own custom fields (those the role may see); another workspace’s never appear', async () => {
    const { api, viewer, clientId } = await workspace('viewer');
    const other = await workspace();
    const field = (call: typeof api, body: Record<string, unknown>) =>
      call('POST', '/api/v1/custom-fields', body).then((r) => {
        expect(r.statusCode, r.body).toBe(201);
        return r.json();
      });
    await field(api, { key: 'vip_level', label: 'VIP level', type: 'text' });
    await field(api, { key: 'salary', label: 'Salary', type: 'number', visible_min_role: 'admin' });
    const retired = await field(api, { key: 'old_code', label: 'Old code', type: 'text' });
    await api('DELETE', `/api/v1/custom-fields/${retired.id}`);
    await field(other.api, { key: 'their_secret', label: 'Their secret', type: 'text' });
    await api('PATCH', `/api/v1/clients/${clientId}`, { custom: { vip_level: 'Gold' } });

    const response = await api('GET', '/api/v1/templates/variables');
    expect(response.statusCode, response.body).toBe(200);
    const { groups, variables } = response.json() as {
      variables: string[];
      groups: { group: string; variables: { path: string; insert: string; label: string | null }[] }[];
    };
    expect(variables).toContain('client.custom.*');
    expect(groups.map((g) => g.group)).toEqual([
      'client',
      'custom_fields',
      'location',
      'sender',
      'coupon',
      'dates',
      'links',
    ]);
    const of = (group: string) => groups.find((g) => g.group === group)!.variables;
    expect(of('custom_fields')).toEqual([
      { path: 'client.custom.salary', insert: '{{ client.custom.salary }}', label: 'Salary' },
      { path: 'client.custom.vip_level', insert: '{{ client.custom.vip_level }}', label: 'VIP level' },
    ]);
    expect(of('client').map((v) => v.path)).toContain('client.first_name');
    expect(of('location').map((v) => v.path)).toEqual(['location.name', 'location.address']);
    expect(of('links').map((v) => v.insert)).toEqual(['{{ unsubscribe_url }}', '{{ preferences_url }}']);
    // Every variable offered but the wildcard, once.
    const offered = groups.flatMap((g) => g.variables.map((v) => v.path));
    expect(offered.filter((p) => !p.startsWith('client.custom.')).sort()).toEqual(
      variables.filter((v) => v !== 'client.custom.*').sort(),
    );

    // A viewer does not see the admin-only field; the other workspace sees only its own.
    const seenByViewer = (await viewer('GET', '/api/v1/templates/variables')).json();
    expect(
      seenByViewer.groups
        .find((g: { group: string }) => g.group === 'custom_fields')
        .variables.map((v: { path: string }) => v.path),
    ).toEqual(['client.custom.vip_level']);
    const theirs = (await other.api('GET', '/api/v1/templates/variables')).json();
    expect(
      theirs.groups
        .find((g: { group: string }) => g.group === 'custom_fields')
        .variables.map((v: { path: string }) => v.path),
    ).toEqual(['client.custom.their_secret']);

    // Everything the picker inserts is accepted by the checker and rendered for a real client.
    const body = groups.flatMap((g) => g.variables.map((v) => `[${v.path}=${v.insert}]`)).join('\n');
    const preview = await api('POST', '/api/v1/templates/preview', {
      channel: 'sms',
      body,
      client_id: clientId,
    });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().text).toContain('[client.custom.vip_level=Gold]');
    expect(preview.json().text).toContain('[client.first_name=Lucía]');
    expect(preview.json().text).toContain('[client.tags=vip]');
  });
});
