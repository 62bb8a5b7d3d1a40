import { asc, eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { archiveClientsByIds } from '../clients/clients.bulk-actions.ts';
import { listLabels } from '../clients/clients.service.ts';
import { createLabel } from '../clients/labels.ts';
import { customFields } from '../custom-fields/custom-fields.schema.ts';
import { listCustomFields, setCustomFieldArchived } from '../custom-fields/custom-fields.service.ts';
import { listLocations, setLocationArchived } from '../locations/locations.service.ts';
import { refreshEventWindows, requestEventWindows, windowKey } from './event-windows.ts';
import { insertClients, segmentWorld } from './segment-test-helpers.ts';
import { segmentEnvironment } from './segments.service.ts';

const t = setupTestApp();

afterEach(() => {
  vi.restoreAllMocks();
});

/** A workspace with something of everything the environment reads, some of it archived or hidden. */
async function furnishedWorld() {
  const world = await segmentWorld(t, {
    timezone: 'America/Mexico_City',
    locations: 2,
    customFields: [
      { key: 'plan', label: 'Plan', type: 'select', options: ['basic', 'pro'], section: 'Billing' },
      { key: 'salary', label: 'Salary', type: 'number', visible_min_role: 'admin', position: 2 },
      { key: 'old_code', label: 'Old code', type: 'text', help_text: 'Ñandú 🦤' },
    ],
  });
  const fields = await listCustomFields(world.db, world.workspaceId, true);
  const oldCode = fields.find((f) => f.key === 'old_code')!;
  await setCustomFieldArchived(world.db, world.ctx, oldCode.id, true);
  await setLocationArchived(world.db, world.ctx, world.locations[1]!, true);
  await createLabel(world.db, world.ctx, { key: 'vip_gold', name: 'VIP gold', position: 9 });
  await requestEventWindows(world.db, world.workspaceId, [{ type: 'visit', days: 90 }]);
  await refreshEventWindows(world.db, world.workspaceId, { maxAgeMs: 0 });
  return world;
}

describe('the segment environment', () => {
  it('reads what each module reads on its own, archived and hidden fields included, in one statement', async () => {
    const world = await furnishedWorld();
    const [archived] = await insertClients(world.db, world.workspaceId, [{ first_name: 'Ana' }]);
    await archiveClientsByIds(world.db, world.ctx, [archived!]);
    const statements = vi.spyOn(t.app.dbHandle.pool, 'query');

    const env = await segmentEnvironment(world.db, { workspaceId: world.workspaceId, role: 'owner' });

    expect(statements).toHaveBeenCalledTimes(1);
    statements.mockRestore();
    expect(env.timezone).toBe('America/Mexico_City');
    // Row for row as the table holds them (read here through the query builder): same order,
    // Dates, nulls, options, emoji.
    const stored = await world.db
      .select()
      .from(customFields)
      .where(eq(customFields.workspaceId, world.workspaceId))
      .orderBy(asc(customFields.section), asc(customFields.position), asc(customFields.key));
    expect(env.storedFields).toEqual(stored);
    expect(await listCustomFields(world.db, world.workspaceId, true)).toEqual(stored);
    expect(await listCustomFields(world.db, world.workspaceId)).toEqual(
      stored.filter((f) => f.archivedAt === null),
    );
    expect(env.storedFields.find((f) => f.key === 'old_code')?.archivedAt).toBeInstanceOf(Date);
    expect(env.validation.labels).toEqual((await listLabels(world.db, world.workspaceId)).map((l) => l.key));
    expect(env.validation.labels).toContain('vip_gold');
    expect(env.validation.locations).toEqual(
      (await listLocations(world.db, world.workspaceId, true)).map((l) => l.id),
    );
    expect(env.validation.locations).toHaveLength(2);
    const windows = await world.db.execute<{ computed_at: string }>(
      sql`select computed_at from event_windows where workspace_id = ${world.workspaceId}`,
    );
    expect(env.keptWindows).toEqual(
      new Map([[windowKey('visit', 90), new Date(windows.rows[0]!.computed_at)]]),
    );
    expect(env.noArchivedClients).toBe(false);
    expect([...env.customFields.keys()].sort()).toEqual(['old_code', 'plan', 'salary']);
    expect(env.customFields.get('old_code')?.archived).toBe(true);
  });

  it("hides a field the role may not see from its trees, not from the members' stored fields", async () => {
    const world = await furnishedWorld();
    const env = await segmentEnvironment(world.db, { workspaceId: world.workspaceId, role: 'viewer' });
    expect(env.customFields.has('salary')).toBe(false);
    expect(env.validation.customFields.map((f) => f.key)).not.toContain('salary');
    expect(env.storedFields.map((f) => f.key)).toContain('salary');
    expect(env.noArchivedClients).toBe(true);
  });

  it('answers each workspace with its own settings, on the pool and inside a transaction', async () => {
    const a = await furnishedWorld();
    const b = await segmentWorld(t, { timezone: 'Asia/Tokyo' });
    await t.app.dbHandle.db.transaction(async (tx) => {
      // Twice on the same connection: the second run reuses the statement it prepared.
      for (let i = 0; i < 2; i += 1) {
        const envA = await segmentEnvironment(tx, { workspaceId: a.workspaceId, role: 'owner' });
        const envB = await segmentEnvironment(tx, { workspaceId: b.workspaceId, role: 'owner' });
        expect(envA.timezone).toBe('America/Mexico_City');
        expect(envA.storedFields).toHaveLength(3);
        expect(envB.timezone).toBe('Asia/Tokyo');
        expect(envB.storedFields).toEqual([]);
        expect(envB.validation.locations).toEqual([]);
        expect(envB.keptWindows.size).toBe(0);
      }
    });
    const missing = '00000000-0000-4000-8000-000000000000';
    await expect(segmentEnvironment(a.db, { workspaceId: missing, role: 'owner' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
