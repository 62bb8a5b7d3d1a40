import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, useBrowserSession } from './support/session';

/**
 * The template editor and the client-facing preference page, as a clinic's marketer uses them:
 * writes an email with the rich editor and the variable picker, sees it rendered for a real
 * client, gets a mistake pointed at by line and column, looks at the WhatsApp and SMS versions,
 * saves; then the client opens the preference page from the email and changes their choices.
 */
describe('templates and preferences', () => {
  const session = useBrowserSession('templates');
  const page = () => session.page;
  const api = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
    callApi<T>(session, method, path, body);
  let clientId = '';
  const segment = (name: RegExp) => page().locator('label.mantine-SegmentedControl-label', { hasText: name });

  it('logs in and prepares a client and the workspace colour', async () => {
    await logIn(session);
    const client = await api<{ id: string }>('POST', '/api/v1/clients', {
      first_name: 'Lucía',
      last_name: 'Serrano',
      email: 'lucia.serrano@example.com',
      phone: '+34600123456',
      city: 'Valencia',
      locale: 'es',
      consent: { email: true, sms: true, whatsapp: true },
    });
    clientId = client.id;
    await api('PATCH', '/api/v1/workspace', { brand_color: '#0c8599' });
  });

  it('shows what to do when there are no templates', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Templates' }).click();
    await page().getByText('No templates yet').waitFor();
    await screenshot(page(), 'templates-empty');
  });

  it('writes an email with the variable picker and previews it for a real client', async () => {
    await page().getByRole('button', { name: 'New template' }).first().click();
    await page().getByLabel('Name').fill('Spring check-up');
    await page().getByLabel('Subject').fill('{{ client.first_name }}, time for your check-up');
    const editor = page().locator('.ProseMirror');
    await editor.click();
    await page().keyboard.type('Hello ');
    await page().getByRole('button', { name: 'Insert variable' }).click();
    await page()
      .getByRole('menuitem', { name: /client\.first_name/ })
      .click();
    await page().keyboard.type(', we miss you in ');
    await page().getByRole('button', { name: 'Insert variable' }).click();
    await page()
      .getByRole('menuitem', { name: /client\.city/ })
      .click();
    await page().keyboard.type('.');

    await page().getByLabel('Preview for').first().fill('Lucía');
    await page()
      .getByRole('option', { name: /Lucía Serrano/ })
      .click();
    await expect
      .poll(() => page().getByTestId('preview-subject').textContent())
      .toBe('Lucía, time for your check-up');
    const frame = page().frameLocator('iframe[title="Email preview"]');
    await frame.getByText('Hello Lucía, we miss you in Valencia.').waitFor();
    await frame.getByText('Darse de baja').waitFor();
    await screenshot(page(), 'templates-email-preview');
  });

  it('points at a mistake by line and column', async () => {
    await segment(/^HTML$/).click();
    const source = page().getByRole('textbox', { name: 'Message' });
    await source.fill('<p>Hello {{ client.first_name }}</p>\n<p>{{ client.nickname }}</p>');
    const alert = page().getByRole('alert');
    await alert.getByText(/line 2, column 7/).waitFor();
    await alert.getByText(/unknown variable "client\.nickname"/).waitFor();
    await screenshot(page(), 'templates-validation');
    await source.fill('<p>Hello {{ client.first_name }}</p>\n<p>See you soon in {{ client.city }}.</p>');
    await expect.poll(() => page().getByRole('alert').count()).toBe(0);
  });

  it('shows the WhatsApp bubble and the SMS with its parts', async () => {
    await segment(/^WhatsApp$/).click();
    const body = page().getByRole('textbox', { name: 'Message' });
    await body.fill('Hola {nombre_cliente} 👋 te esperamos en {{ client.city }}.');
    await expect
      .poll(() => page().getByTestId('preview-whatsapp').textContent())
      .toBe('Hola Lucía Serrano 👋 te esperamos en Valencia.');
    await page().getByLabel('Template name').fill('checkup_reminder');
    await page().getByRole('textbox', { name: 'Language', exact: true }).fill('es');
    const parameters = page()
      .getByLabel(/^Parameters 1, 2, 3/)
      .first();
    await parameters.fill('client.first_name');
    await parameters.press('Enter');
    await screenshot(page(), 'templates-whatsapp-preview');

    await segment(/^SMS$/).click();
    await body.fill(`Hi {{ client.first_name }}, ${'your check-up is due. '.repeat(8)}`);
    // "í" in Lucía is outside GSM-7: the whole SMS goes as UCS-2, 67 characters a part.
    await page().getByText('3 SMS parts').waitFor();
    await page().getByText('UCS-2').waitFor();
    await screenshot(page(), 'templates-sms-preview');
  });

  it('saves and lists the template', async () => {
    await page().getByRole('button', { name: 'Save' }).click();
    await page().getByText('Template saved').waitFor();
    await page().getByRole('button', { name: 'Back to templates' }).click();
    await page().getByRole('cell', { name: 'Spring check-up', exact: true }).waitFor();
    await dismissNotifications(page());
    await screenshot(page(), 'templates-list');
  });

  it('sets the email look in workspace settings', async () => {
    await page().goto('/settings/workspace');
    await page().getByRole('heading', { name: 'Email look and tracking' }).waitFor();
    await page().getByRole('switch', { name: 'Track opens and clicks' }).waitFor();
    await page().getByRole('heading', { name: 'Email look and tracking' }).scrollIntoViewIfNeeded();
    await screenshot(page(), 'settings-email-look');
  });

  it("opens the client's preference page in their language and saves their choices", async () => {
    const preview = await api<{ unsubscribe_url: string; preferences_url: string }>(
      'POST',
      '/api/v1/templates/preview',
      { channel: 'email', subject: 'x', body: 'x', client_id: clientId },
    );
    const path = new URL(preview.preferences_url);
    const client = await session.browser.newContext({ baseURL: session.server.url, locale: 'es-ES' });
    const visitor = await client.newPage();
    await visitor.goto(`${path.pathname}${path.search}`);
    await visitor.getByRole('heading', { name: 'Tus preferencias de comunicación' }).waitFor();
    await screenshot(visitor, 'preferences-es');

    await visitor.getByRole('checkbox', { name: /SMS/ }).uncheck();
    await visitor.getByRole('button', { name: 'Guardar mis preferencias' }).click();
    await visitor.getByText('Tus preferencias se han guardado.').waitFor();
    const consent = await api<{ consent: Record<string, boolean> }>(
      'GET',
      `/api/v1/clients/${clientId}/consent`,
    );
    expect(consent.consent).toMatchObject({ email: true, sms: false, whatsapp: true });

    await visitor.getByRole('button', { name: 'Borrar mis datos' }).click();
    await visitor.getByText('Hemos recibido tu solicitud de borrado de tus datos.').waitFor();
    await screenshot(visitor, 'preferences-es-erasure-requested');

    for (const [lang, heading] of [
      ['en', 'Your communication preferences'],
      ['fr', 'Vos préférences de communication'],
    ] as const) {
      await visitor.goto(`${path.pathname}?lang=${lang}`);
      await visitor.getByRole('heading', { name: heading }).waitFor();
      await screenshot(visitor, `preferences-${lang}`);
    }
    await visitor.goto('/u/not-a-real-link');
    await visitor.getByRole('heading', { name: 'Este enlace ya no es válido.' }).waitFor();
    await client.close();
  });
});
