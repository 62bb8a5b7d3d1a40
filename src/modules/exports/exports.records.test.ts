import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { createClient } from '../clients/clients.service.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';

const t = setupTestApp({
  CLIENTELA_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'clientela-exports-records-')),
});

const work = () => runDueJobs(t);

type World = Awaited<ReturnType<typeof segmentWorld>>;

async function exportAndDownload(w: World, body: Record<string, unknown>) {
  const created = await w.call('POST', '/api/v1/exports', body);
  expect(created.statusCode, created.body).toBe(202);
  await work();
  const done = (await w.call('GET', `/api/v1/exports/${created.json().id}`)).json();
  expect(done.status, JSON.stringify(done)).toBe('completed');
  const file = await t.inject({ method: 'GET', url: done.download_url });
  expect(file.statusCode).toBe(200);
  return { created: created.json(), done, file };
}

describe("exports of a campaign's recipients and of a client's timeline", () => {
  it('exports the deliveries ledger of a campaign (status, reason, error, time), filtered by status, neutralized', async () => {
    const w = await segmentWorld(t);
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: '=HYPERLINK("http://evil")', email: 'ana@example.com', consent: { email: true } },
      { first_name: 'Bruno', email: 'bruno@example.com', consent: { email: true } },
      { first_name: 'Eva', email: 'eva@example.com' },
    ]);
    const campaign = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'Spring',
        channel: 'email',
        content: { subject: 'Hola', body: '<p>Oferta</p>' },
        audience: { client_ids: ids },
      })
    ).json();
    expect((await w.call('POST', `/api/v1/campaigns/${campaign.id}/send`, {})).statusCode).toBe(200);
    await work();
    await w.db.execute(sql`update deliveries set status = 'failed', error = 'mailbox full', sent_at = null
      where campaign_id = ${campaign.id} and address = 'bruno@example.com'`);

    const { created, done, file } = await exportAndDownload(w, {
      selection: { kind: 'campaign_recipients', campaign_id: campaign.id },
      format: 'csv',
    });
    expect(created.total_rows).toBe(3);
    expect(done.processed_rows).toBe(3);
    expect(file.headers['content-disposition']).toContain('campaign-recipients-');
    const lines = file.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'delivery_id,client_id,client_name,address,channel,status,skip_reason,error,sent_at',
    );
    expect(lines).toHaveLength(4);
    const ana = lines.find((l) => l.includes('ana@example.com'))!;
    expect(ana).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(ana).toMatch(/,email,sent,,,\d{4}-\d{2}-\d{2}T/);
    expect(lines.find((l) => l.includes('bruno@example.com'))).toContain(',email,failed,,mailbox full,');
    expect(lines.find((l) => l.includes('eva@example.com'))).toContain(',email,skipped,no_consent,,');

    const failed = await exportAndDownload(w, {
      selection: { kind: 'campaign_recipients', campaign_id: campaign.id, status: 'failed' },
      fields: ['address', 'status', 'error'],
      format: 'json',
    });
    expect(JSON.parse(failed.file.body)).toEqual([
      { address: 'bruno@example.com', status: 'failed', error: 'mailbox full' },
    ]);

    // Another workspace cannot export it: the campaign is not found there.
    const other = await segmentWorld(t);
    const foreign = await other.call('POST', '/api/v1/exports', {
      selection: { kind: 'campaign_recipients', campaign_id: campaign.id },
      format: 'csv',
    });
    expect(foreign.statusCode).toBe(404);
    const bad = await w.call('POST', '/api/v1/exports', {
      selection: { kind: 'campaign_recipients' },
      fields: ['nope'],
      format: 'csv',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toEqual([
      '/fields/0',
      '/selection/campaign_id',
    ]);
  });

  it("exports a client's timeline as NDJSON through the clients module's timeline, and is 404 across workspaces", async () => {
    const w = await segmentWorld(t);
    const client = await createClient(w.db, w.ctx, { first_name: 'Lucía', email: 'lucia@example.com' });
    expect((await w.call('PATCH', `/api/v1/clients/${client.id}`, { city: 'Sevilla' })).statusCode).toBe(200);
    const { done, file } = await exportAndDownload(w, {
      selection: { kind: 'client_timeline', client_id: client.id },
      format: 'ndjson',
    });
    const items = file.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(done.processed_rows).toBe(items.length);
    expect(items.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(items[0])).toEqual([
      'occurred_at',
      'kind',
      'type',
      'actor',
      'summary',
      'amount',
      'currency',
      'details',
    ]);
    expect(items.map((i) => i.type)).toEqual(expect.arrayContaining(['created', 'fields']));
    expect(items.find((i) => i.type === 'fields').summary).toContain('city');
    // Newest first, as the timeline reads.
    expect(items[0].occurred_at >= items[items.length - 1].occurred_at).toBe(true);

    const other = await segmentWorld(t);
    const foreign = await other.call('POST', '/api/v1/exports', {
      selection: { kind: 'client_timeline', client_id: client.id },
      format: 'csv',
    });
    expect(foreign.statusCode).toBe(404);
  });
});
