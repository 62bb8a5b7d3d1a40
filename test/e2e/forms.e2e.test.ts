import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, openSettings, useBrowserSession } from './support/session';

/**
 * Signup forms and privacy requests: the marketer builds a form in Settings, a visitor signs up
 * on the hosted page (in Spanish, then French), the new client appears with source "form" and
 * their consents; a client's erasure request shows up for the admin with its deadline.
 */
describe('signup forms and privacy requests', () => {
  const session = useBrowserSession('forms');
  const page = () => session.page;
  const api = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
    callApi<T>(session, method, path, body);

  it('logs in', () => logIn(session));

  it('builds a form in Settings', async () => {
    await openSettings(page(), 'Signup forms', '/settings/signup-forms');
    await page().getByText('No signup forms yet').waitFor();
    await page().getByRole('button', { name: 'New form' }).first().click();
    const dialog = page().getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Newsletter primavera');
    await dialog.getByLabel('Heading shown on the form').fill('Recibe nuestras ofertas');
    await dialog
      .getByRole('textbox', { name: 'Email', exact: true })
      .fill('Quiero recibir ofertas por correo');
    await dialog
      .getByRole('textbox', { name: 'WhatsApp', exact: true })
      .fill('Quiero recibir avisos por WhatsApp');
    await screenshot(page(), 'signup-form-editor');
    await dialog.getByRole('button', { name: 'Save form' }).click();
    await page().getByText('Newsletter primavera').waitFor();
    await dismissNotifications(page());
    await screenshot(page(), 'signup-forms-list');
  });

  it('lets a visitor sign up on the hosted page, in their language', async () => {
    const { forms } = await api<{ forms: Array<{ id: string; hosted_path: string }> }>(
      'GET',
      '/api/v1/forms',
    );
    const form = forms[0]!;
    const visitorContext = await session.browser.newContext({ baseURL: session.server.url });
    const visitor = await visitorContext.newPage();
    await visitor.goto(form.hosted_path);
    await visitor.getByRole('heading', { name: 'Recibe nuestras ofertas' }).waitFor();
    await visitor.getByRole('button', { name: 'Suscribirme' }).click();
    await visitor.getByText('Este campo es obligatorio.').first().waitFor();
    await visitor.getByLabel('Nombre').fill('Carmen');
    await visitor.getByLabel('Correo electrónico').fill('carmen@example.com');
    await visitor.getByText('Quiero recibir avisos por WhatsApp').click();
    await screenshot(visitor, 'signup-form-es');
    await visitor.getByRole('button', { name: 'Suscribirme' }).click();
    await visitor.getByRole('heading', { name: '¡Gracias!' }).waitFor();
    await screenshot(visitor, 'signup-form-es-done');

    await visitor.goto(`${form.hosted_path}?lang=fr`);
    await visitor.getByRole('button', { name: 'M’inscrire' }).waitFor();
    await screenshot(visitor, 'signup-form-fr');
    await visitorContext.close();

    const { clients } = await api<{ clients: Array<{ id: string; email: string; source: string }> }>(
      'GET',
      '/api/v1/clients?q=carmen',
    );
    expect(clients[0]).toMatchObject({ email: 'carmen@example.com', source: 'form' });
    const consent = await api<{ consent: Record<string, boolean> }>(
      'GET',
      `/api/v1/clients/${clients[0]!.id}/consent`,
    );
    // WhatsApp counts at once; email waits for the double opt-in link.
    expect(consent.consent).toMatchObject({ whatsapp: true, email: false });
  });

  it('shows privacy requests with their deadline to the admin', async () => {
    const { clients } = await api<{ clients: Array<{ id: string }> }>('GET', '/api/v1/clients?q=carmen');
    const preview = await api<{ unsubscribe_url: string }>('POST', '/api/v1/templates/preview', {
      channel: 'sms',
      body: 'x',
      client_id: clients[0]!.id,
    });
    const path = new URL(preview.unsubscribe_url).pathname;
    const response = await page().request.post(`${session.server.url}${path}/preferences`, {
      form: { action: 'erase' },
    });
    expect(response.status()).toBe(200);
    await openSettings(page(), 'Privacy requests', '/settings/privacy-requests');
    await page().getByRole('cell', { name: 'Erasure' }).waitFor();
    await screenshot(page(), 'privacy-requests');
    await page().getByRole('button', { name: 'Mark done' }).click();
    await page().getByText('Done', { exact: true }).waitFor();
  });
});
