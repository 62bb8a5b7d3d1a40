import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { clientRowsFromRaw, findClientsByIds } from './clients.repo.ts';

const t = setupTestApp({ CLIENTELA_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'clientela-clients-repo-')) });

it('maps raw `select c.*` rows exactly as a Drizzle select of the table does (every column and type)', async () => {
  const w = await segmentWorld(t, { locations: 1 });
  const ids = await insertClients(w.db, w.workspaceId, [
    {
      first_name: 'Zoë 🌷',
      last_name: "O'Brien",
      email: 'zoe@example.com',
      phone: '+34600111222',
      city: 'València',
      country: 'ES',
      locale: 'es',
      external_id: 'ext-1',
      label: 'customer',
      location_id: w.locations[0]!,
      lifetime_value: 1234.5,
      risk_score: 71,
      last_contacted_at: new Date('2026-01-02T03:04:05.678Z'),
      consent: { email: true, whatsapp: true },
      custom: { plan: 'gold', visits: 3, since: '2024-05-01', vip: true },
    },
    {},
  ]);
  await w.db.execute(sql`update clients set archived_at = now() where id = ${ids[1]!}`);
  const expected = await findClientsByIds(w.db, w.workspaceId, ids);
  const raw = await w.db.execute<Record<string, unknown>>(
    sql`select c.* from clients c where c.workspace_id = ${w.workspaceId} order by c.created_at, c.id`,
  );
  const mapped = clientRowsFromRaw(raw.rows);
  const byId = (rows: typeof expected) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
  expect(byId(mapped)).toEqual(byId(expected));
  const full = mapped.find((r) => r.id === ids[0]);
  expect(full?.lastContactedAt).toBeInstanceOf(Date);
  expect(full?.custom).toEqual({ plan: 'gold', visits: 3, since: '2024-05-01', vip: true });
  expect(mapped.find((r) => r.id === ids[1])?.archivedAt).toBeInstanceOf(Date);
});
