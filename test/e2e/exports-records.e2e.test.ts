import { describe, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, logIn, useBrowserSession } from './support/session';

/**
 * A client's timeline exported from the client drawer through the exports job: the format, the
 * job's progress, and the download link when the file is ready.
 */
describe("export of a client's timeline from the drawer", () => {
  const session = useBrowserSession('exports-records');
  const page = () => session.page;

  it('logs in', () => logIn(session));

  it('exports the timeline as CSV and offers the download', async () => {
    const client = await callApi<{ id: string }>(session, 'POST', '/api/v1/clients', {
      first_name: 'Lucía',
      last_name: 'Timeline',
      email: 'lucia.timeline@example.com',
    });
    await callApi(session, 'PATCH', `/api/v1/clients/${client.id}`, { city: 'Sevilla' });
    await page().goto(`/clients/${client.id}`);
    await page().getByRole('tab', { name: 'Timeline' }).click();
    await page().getByRole('button', { name: 'Export timeline' }).click();
    const dialog = page().getByRole('dialog', { name: "Export this client's timeline" });
    await dialog.waitFor();
    await dialog.getByText('Every item of the timeline, newest first').waitFor();
    await screenshot(page(), 'exports-timeline-dialog');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    await dialog.getByRole('link', { name: 'Download' }).waitFor({ timeout: 30_000 });
    await dialog.getByText(/rows are ready/).waitFor();
    await screenshot(page(), 'exports-timeline-ready');
  });
});
