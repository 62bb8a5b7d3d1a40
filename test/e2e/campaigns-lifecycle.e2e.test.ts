import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, useBrowserSession } from './support/session';

/**
 * A campaign that cannot run: scheduled on a saved segment whose custom field is archived before the
 * time comes, it ends `failed` and its page says why and what to do. The field is restored, the
 * campaign sent again from its page; then the page shows the audience as it was sent, which an edit
 * of the segment afterwards does not change.
 */
describe('campaign lifecycle', () => {
  const session = useBrowserSession('campaigns-lifecycle');
  const page = () => session.page;
  const api = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
    callApi<T>(session, method, path, body);
  const remove = async (path: string) => {
    const response = await page().request.fetch(`${session.server.url}${path}`, {
      method: 'DELETE',
      headers: { 'X-Workspace-Id': session.workspaceId, Origin: session.server.url },
    });
    expect(response.status(), await response.text()).toBe(204);
  };
  const campaign = (id: string) =>
    api<{ status: string; status_reason: string | null; audience_snapshot: unknown }>(
      'GET',
      `/api/v1/campaigns/${id}`,
    );
  async function waitForStatus(id: string, status: string) {
    for (let i = 0; i < 120; i++) {
      if ((await campaign(id)).status === status) return;
      await page().waitForTimeout(250);
    }
    throw new Error(`campaign ${id} never became ${status}: ${JSON.stringify(await campaign(id))}`);
  }
  let fieldId = '';
  let segmentId = '';
  let campaignId = '';

  it('a campaign scheduled on a segment whose custom field is archived fails, and its page says why', async () => {
    await logIn(session);
    fieldId = (
      await api<{ id: string }>('POST', '/api/v1/custom-fields', { key: 'tier', label: 'Tier', type: 'text' })
    ).id;
    for (const [first_name, city, tier] of [
      ['Lucía', 'Madrid', 'gold'],
      ['Marco', 'Madrid', 'gold'],
      ['Noor', 'Madrid', 'silver'],
      ['Olga', 'Sevilla', 'gold'],
    ] as const)
      await api('POST', '/api/v1/clients', {
        first_name,
        city,
        email: `${first_name.toLowerCase()}@example.com`,
        consent: { email: true },
        custom: { tier },
      });
    segmentId = (
      await api<{ id: string }>('POST', '/api/v1/segments', {
        name: 'Gold in Madrid',
        definition: {
          all: [
            { field: 'custom.tier', op: 'eq', value: 'gold' },
            { field: 'city', op: 'eq', value: 'Madrid' },
          ],
        },
      })
    ).id;
    campaignId = (
      await api<{ id: string }>('POST', '/api/v1/campaigns', {
        name: 'Gold preview night',
        channel: 'email',
        content: { subject: 'Hola {{ client.first_name }}', body: '<p>You are invited.</p>' },
        audience: { segment_id: segmentId },
      })
    ).id;
    // Its recipients are picked when the time comes, in a few seconds; the field goes before that.
    const scheduled = await api<{ status: string }>('POST', `/api/v1/campaigns/${campaignId}/send`, {
      at: new Date(Date.now() + 4000).toISOString(),
      determine_recipients: 'at_send',
    });
    expect(scheduled.status).toBe('scheduled');
    await remove(`/api/v1/custom-fields/${fieldId}`);
    await waitForStatus(campaignId, 'failed');

    await page().goto(`/campaigns/${campaignId}`);
    const reason = page().getByTestId('status-reason');
    await reason.getByText('This campaign could not be sent').waitFor();
    await reason.getByText(/custom field 'tier' is archived/).waitFor();
    await reason.getByText(/Nothing was sent\. Fix it/).waitFor();
    await page().getByRole('button', { name: 'Send again' }).waitFor();
    await page().getByRole('button', { name: 'Edit' }).waitFor();
    expect(await page().getByTestId('audience-as-sent').count()).toBe(0);
    // Nothing was written: no progress, figures or recipients to show, only what to do.
    expect(await page().getByTestId('progress').count()).toBe(0);
    expect(await reason.innerText()).not.toContain('/all/0/field');
    await screenshot(page(), 'campaigns-lifecycle-failed');
    // The list says it too, before anyone opens the campaign.
    await page().goto('/campaigns');
    await page().getByText('Could not run: open it to see why').waitFor();
    // The creator heard about it in the bell, in their own language.
    await page()
      .getByRole('button', { name: /notifications/i })
      .click();
    await page().getByText('Campaign “Gold preview night” could not be sent').waitFor();
    await screenshot(page(), 'campaigns-lifecycle-failed-list');
    await page().keyboard.press('Escape');
    await page().goto(`/campaigns/${campaignId}`);
    await page().getByTestId('status-reason').waitFor();
  });

  it('once the field is restored, Send again sends it; the page shows the audience as it was sent', async () => {
    await api('POST', `/api/v1/custom-fields/${fieldId}/restore`, {});
    await page().getByRole('button', { name: 'Send again' }).click();
    await page().getByRole('dialog').getByText('Its recipients are picked again now').waitFor();
    await page().getByRole('dialog').getByRole('button', { name: 'Send again' }).click();
    await page().getByText('Campaign sent again').waitFor();
    await waitForStatus(campaignId, 'sent');
    await dismissNotifications(page());
    await page().reload();
    const asSent = page().getByTestId('audience-as-sent');
    await asSent.getByText('Audience as sent:').waitFor();
    await asSent.getByText(/segment “Gold in Madrid” — Clients whose “Tier” is “gold”/).waitFor();
    await asSent.getByText(/Madrid/).waitFor();
    await asSent.getByText('2 clients in the audience when the recipients were fixed.').waitFor();
    expect(await page().getByTestId('status-reason').count()).toBe(0);
    await screenshot(page(), 'campaigns-lifecycle-audience-as-sent');
  });

  it('an edit of the segment afterwards does not change what the campaign says it was sent to', async () => {
    const before = await page().getByTestId('audience-as-sent').innerText();
    await api('PATCH', `/api/v1/segments/${segmentId}`, {
      name: 'Everyone in Sevilla',
      definition: { field: 'city', op: 'eq', value: 'Sevilla' },
    });
    await page().reload();
    // The custom field's label comes with the field list (its key until then).
    await page()
      .getByTestId('audience-as-sent')
      .getByText(/Gold in Madrid.*“Tier”/)
      .waitFor();
    expect(await page().getByTestId('audience-as-sent').innerText()).toBe(before);
    expect(before).not.toContain('Sevilla');
    // In Spanish, the same audience in Spanish words.
    await page().evaluate(() => window.localStorage.setItem('clientela.language', 'es'));
    await page().reload();
    await page().getByTestId('audience-as-sent').getByText('Audiencia del envío:').waitFor();
    await screenshot(page(), 'campaigns-lifecycle-audience-as-sent-es');
    await page().evaluate(() => window.localStorage.setItem('clientela.language', 'en'));
  });
});
