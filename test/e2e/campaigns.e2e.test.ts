import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, useBrowserSession } from './support/session';

/**
 * A marketer sends an email campaign through the wizard to the clinic's clients: sees the
 * audience count, writes the message with a live preview for a real client, reviews who will get
 * it and why one will not, confirms, and watches the campaign reach "sent" with the messages in
 * the outbox (the e2e server runs the job worker: `clientela serve` without --no-worker).
 */
describe('campaigns', () => {
  const session = useBrowserSession('campaigns');
  const page = () => session.page;
  const api = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
    callApi<T>(session, method, path, body);
  let campaignId = '';

  it('logs in and adds four clients, one without email consent', async () => {
    await logIn(session);
    for (const [first_name, email, consent] of [
      ['Lucía', 'lucia@example.com', true],
      ['Marco', 'marco@example.com', true],
      ['Noor', 'noor@example.com', true],
      ['Olga', 'olga@example.com', false],
    ] as const)
      await api('POST', '/api/v1/clients', { first_name, email, consent: { email: consent } });
  });

  it('shows what to do when there are no campaigns', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Campaigns' }).click();
    await page().getByText('No campaigns yet').waitFor();
    await screenshot(page(), 'campaigns-empty');
  });

  it('walks the wizard: basics, audience with its count, content with a live preview, schedule', async () => {
    await page().getByRole('link', { name: 'New campaign' }).click();
    await page().getByLabel('Campaign name').fill('Spring check-up');
    await page().getByLabel('Objective').fill('Bring back clients before summer');
    await screenshot(page(), 'campaigns-wizard-basics');
    await page().getByRole('button', { name: 'Save and continue' }).click();

    await page().waitForURL(/\/campaigns\/[0-9a-f-]+\/edit$/);
    campaignId = page().url().split('/').at(-2) ?? '';
    await page().getByTestId('audience-count').getByText('4 clients in this audience right now').waitFor();
    await screenshot(page(), 'campaigns-wizard-audience');
    await page().getByRole('button', { name: 'Save and continue' }).click();

    await page().getByLabel('Subject').fill('{{ client.first_name }}, your spring check-up');
    await page()
      .getByRole('textbox', { name: 'Message' })
      .fill('Hello {{ client.first_name }}, book your check-up this month.');
    await page().getByRole('combobox', { name: 'Preview for' }).fill('Lucía');
    await page().getByRole('option', { name: /Lucía/ }).click();
    await page().getByTestId('preview-subject').getByText('Lucía, your spring check-up').waitFor();
    await page().frameLocator('iframe').getByText('Hello Lucía, book your check-up this month.').waitFor();
    await screenshot(page(), 'campaigns-wizard-content');
    await page().getByRole('button', { name: 'Save and continue' }).click();

    await page().getByRole('radio', { name: 'Now', exact: true }).waitFor();
    expect(await page().getByRole('radio', { name: 'Now', exact: true }).isChecked()).toBe(true);
    await dismissNotifications(page());
    await screenshot(page(), 'campaigns-wizard-schedule');
    await page().getByRole('button', { name: 'Save and continue' }).click();

    const saved = await api<{ status: string; content: { subject: string } }>(
      'GET',
      `/api/v1/campaigns/${campaignId}`,
    );
    expect(saved).toMatchObject({
      status: 'draft',
      content: { subject: '{{ client.first_name }}, your spring check-up' },
    });
  });

  it('reviews who gets it and why one does not, and sends after confirming', async () => {
    await page().getByTestId('review-eligible').getByText('3 of 4 will receive it').waitFor();
    await page().getByTestId('review-skipped').getByText('1 has no Email consent').waitFor();
    await screenshot(page(), 'campaigns-wizard-review');
    // First a test to an address of ours, as Lucía would get it.
    const testSend = page().getByTestId('test-send');
    await testSend.getByRole('combobox', { name: 'As this client' }).fill('Lucía');
    await page().getByRole('option', { name: /Lucía/ }).click();
    await testSend.getByRole('textbox', { name: 'Send to (email)' }).fill('me@clinic.example');
    await testSend.getByRole('button', { name: 'Send test' }).click();
    await testSend.getByTestId('test-send-result').getByText('Test sent to me@clinic.example.').waitFor();
    await screenshot(page(), 'campaigns-wizard-test-send');
    await page().getByRole('button', { name: 'Send now' }).click();
    await page().getByRole('dialog').getByText('Send this campaign?').waitFor();
    await screenshot(page(), 'campaigns-wizard-confirm');
    await page().getByRole('button', { name: 'Yes, send' }).click();
    await page().waitForURL((url) => url.pathname === `/campaigns/${campaignId}`);
  });

  it('follows the sending to "sent" with its progress, counts and recipients; the outbox has the messages', async () => {
    await page().getByTestId('campaign-status').getByText('Sent').waitFor({ timeout: 30_000 });
    await page().getByTestId('progress-text').getByText('4 of 4 done (100 %)').waitFor();
    await page().getByTestId('count-sent').getByText('3').waitFor();
    await page().getByTestId('count-skipped').getByText('1').waitFor();
    await page().getByTestId('recipients').getByText('lucia@example.com').waitFor();
    await page().getByText('Sent and delivered per minute').waitFor();
    await page().locator('.recharts-bar-rectangle').first().waitFor();
    await screenshot(page(), 'campaigns-page-sent');

    await page().locator('label.mantine-SegmentedControl-label', { hasText: 'Skipped' }).click();
    await page().getByTestId('recipients').getByText('No consent').waitFor();
    // The previous page of rows stays on screen until the filtered one arrives.
    await expect.poll(() => page().getByTestId('recipients').locator('tbody tr').count()).toBe(1);
    await screenshot(page(), 'campaigns-page-skipped');
    await page().locator('label.mantine-SegmentedControl-label', { hasText: /^All$/ }).click();
    await page().getByRole('textbox', { name: 'Search by name or address' }).fill('marco@');
    await expect.poll(() => page().getByTestId('recipients').locator('tbody tr').count()).toBe(1);
    await page().getByTestId('recipients').getByRole('link', { name: 'Marco' }).waitFor();

    const outbox = await api<{ messages: Array<{ subject: string; to: string }> }>(
      'GET',
      `/api/v1/outbox?campaign_id=${campaignId}&limit=100`,
    );
    // The test from the review went to our own address, marked as such.
    expect(outbox.messages.find((m) => m.subject.startsWith('[TEST]'))).toMatchObject({
      subject: '[TEST] Lucía, your spring check-up',
      to: 'me@clinic.example',
    });
    expect(outbox.messages.map((m) => m.subject).sort()).toEqual([
      'Lucía, your spring check-up',
      'Marco, your spring check-up',
      'Noor, your spring check-up',
      '[TEST] Lucía, your spring check-up',
    ]);
    await page().getByRole('navigation').getByRole('link', { name: 'Outbox' }).click();
    await page().getByText('Noor, your spring check-up').waitFor();
    await screenshot(page(), 'campaigns-outbox');
  });

  it('lists the campaign as sent with its recipient count, and duplicates it as a draft', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Campaigns' }).click();
    const row = page().getByTestId('campaign-row').filter({ hasText: 'Spring check-up' });
    await row.getByText('Sent').waitFor();
    await row.getByRole('cell', { name: '4', exact: true }).waitFor();
    await screenshot(page(), 'campaigns-list');
    await row.getByRole('link', { name: 'Spring check-up' }).click();
    await page().getByRole('button', { name: 'Duplicate' }).click();
    await page().waitForURL(/\/campaigns\/[0-9a-f-]+\/edit$/);
    await page().getByRole('button', { name: 'Save and continue' }).waitFor();
    const list = await api<{ campaigns: Array<{ name: string; status: string }> }>(
      'GET',
      '/api/v1/campaigns',
    );
    expect(list.campaigns.map((c) => [c.name, c.status])).toEqual([
      ['Spring check-up (copy)', 'draft'],
      ['Spring check-up', 'sent'],
    ]);
  });

  it('schedules the copy for later, then cancels it after confirming', async () => {
    // The workspace keeps Mexico City's clock while this browser is in Madrid: 10:00 is Mexico's.
    await api('PATCH', '/api/v1/workspace', { default_timezone: 'America/Mexico_City' });
    await page().reload();
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await page().getByRole('textbox', { name: 'Message' }).waitFor();
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await page().getByRole('radio', { name: 'At a date and time' }).check();
    await page().getByText("On the workspace's clock (America/Mexico_City)").waitFor();
    await page().getByRole('textbox', { name: 'Date and time' }).fill('2030-03-01T10:00');
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await page().getByTestId('review-eligible').getByText('3 of 4 will receive it').waitFor();
    await page().getByRole('button', { name: 'Schedule sending' }).click();
    await page().getByRole('button', { name: 'Yes, send' }).click();
    // The audience is fixed now (determine_recipients: now): the engine snapshots it at once and the
    // campaign stays scheduled, every delivery waiting for its time.
    await page().getByTestId('campaign-status').getByText('Scheduled').waitFor();
    await page()
      .getByText(/Scheduled for .*2030/)
      .waitFor();
    await page().getByTestId('count-queued').getByText('3').waitFor();
    await dismissNotifications(page());
    await screenshot(page(), 'campaigns-page-scheduled');
    // One recipient taken out by hand before the time comes: skipped as excluded.
    await page()
      .getByTestId('recipients')
      .locator('tr', { hasText: 'noor@example.com' })
      .getByRole('button', { name: 'Exclude' })
      .click();
    await page().getByRole('dialog').getByRole('button', { name: 'Exclude' }).click();
    await page().getByTestId('count-queued').getByText('2').waitFor();
    await page().getByText('1 excluded by hand').waitFor();
    await dismissNotifications(page());
    await page().evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    await screenshot(page(), 'campaigns-page-scheduled-excluded');
    await page().getByRole('button', { name: 'Cancel campaign' }).click();
    await page().getByRole('dialog').getByRole('button', { name: 'Cancel campaign' }).click();
    await page().getByTestId('campaign-status').getByText('Cancelled').waitFor();
    await page().getByTestId('count-cancelled').getByText('2').waitFor();
    await screenshot(page(), 'campaigns-page-cancelled');
    const list = await api<{ campaigns: Array<{ name: string; status: string; scheduled_at: string }> }>(
      'GET',
      '/api/v1/campaigns',
    );
    expect(list.campaigns[0]).toMatchObject({
      name: 'Spring check-up (copy)',
      status: 'cancelled',
      scheduled_at: '2030-03-01T16:00:00.000Z',
    });
  });

  it('counts an opened email as read, and looking at the outbox opened none', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Campaigns' }).click();
    await page().getByRole('link', { name: 'Spring check-up', exact: true }).click();
    await page().getByTestId('progress-text').getByText('4 of 4 done (100 %)').waitFor();
    // The outbox showed these messages earlier in this run: without their tracking, so still `sent`.
    await page().getByTestId('count-sent').getByText('3').waitFor();
    await expect(page().getByTestId('count-read').count()).resolves.toBe(0);
    // Noor's mail client loads the open pixel of the message as it was sent.
    const outbox = await api<{ messages: Array<{ to: string; html: string | null }> }>(
      'GET',
      `/api/v1/outbox?campaign_id=${campaignId}&limit=100`,
    );
    const noor = outbox.messages.find((m) => m.to === 'noor@example.com')!;
    const pixel = /src="([^"]*\/t\/o\/[^"]+)"/.exec(noor.html ?? '')?.[1];
    expect(pixel).toBeTruthy();
    expect((await fetch(pixel!.replaceAll('&amp;', '&'))).status).toBe(200);
    await page().reload();
    await page().getByTestId('count-read').getByText('1').waitFor();
    await page().getByTestId('count-sent').getByText('2').waitFor();
    await page()
      .locator('label.mantine-SegmentedControl-label', { hasText: /^Read$/ })
      .click();
    await expect.poll(() => page().getByTestId('recipients').locator('tbody tr').count()).toBe(1);
    await page().getByTestId('recipients').getByText('noor@example.com').waitFor();
    await page().locator('label.mantine-SegmentedControl-label', { hasText: /^All$/ }).click();
    await expect.poll(() => page().getByTestId('recipients').locator('tbody tr').count()).toBe(4);
  });

  it('shows the sent campaign in Spanish and French: progress, funnel, chart and recipients', async () => {
    await dismissNotifications(page());
    const languages = [
      ['Language', 'Español', 'es', '4 de 4 hechos (100 %)', 'Embudo', 'Enviados y entregados por minuto'],
      [
        'Idioma',
        'Français',
        'fr',
        '4 sur 4 traités (100 %)',
        'Entonnoir',
        'Envoyés et distribués par minute',
      ],
    ] as const;
    for (const [menu, name, lang, progress, funnel, chart] of languages) {
      await page()
        .getByRole('button', { name: new RegExp(`^${menu}`) })
        .click();
      await page().getByRole('menuitem', { name }).click();
      await page().getByTestId('progress-text').getByText(progress).waitFor();
      await page().getByText(funnel, { exact: true }).waitFor();
      await page().getByText(chart).waitFor();
      await page().locator('.recharts-bar-rectangle').first().waitFor();
      await expect(page().locator('html').getAttribute('lang')).resolves.toBe(lang);
      // Nothing of the page is left in English.
      const text = await page().locator('main').innerText();
      for (const english of ['Funnel', 'Recipients', 'Skipped', 'Delivered', 'Export recipients'])
        expect(text).not.toContain(english);
      await page().evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        window.scrollTo(0, 0);
      });
      await screenshot(page(), `campaigns-page-sent-${lang}`);
    }
    await page()
      .getByRole('button', { name: /^Langue/ })
      .click();
    await page().getByRole('menuitem', { name: 'English' }).click();
    await page().getByText('Funnel', { exact: true }).waitFor();
  });
});
