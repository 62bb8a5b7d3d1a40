import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { createSuppressionList } from '../consent/suppressions.service.ts';
import {
  eligibilitySql,
  middleClientId,
  snapshotAudience,
  writeAudience,
  writeAudienceInHalves,
} from '../deliveries/audience.ts';
import { segmentWorld } from '../segments/segment-test-helpers.ts';
import { compileAudience } from '../segments/segments.service.ts';

/**
 * The audience snapshot written in two halves on two connections (what a Send of a large workspace
 * does, campaigns.send.ts) against the same rules in one statement, and both against a reference:
 * the rule "of the eligible clients with the same address on the same channel, all but the oldest
 * are duplicate_address" as a window over the whole audience (how the snapshot computed it before).
 */
const t = setupTestApp();

describe('audience snapshot in two halves', () => {
  it('writes what one statement writes, and decides the duplicates over the whole audience', async () => {
    const w = await segmentWorld(t);
    const tag = randomBytes(3).toString('hex');
    // 600 clients: 150 emails and 120 phones shared by several clients each (on both sides of the
    // middle client id), consent varied per channel, creation times with ties (decided by id).
    await w.db.execute(sql`
      insert into clients (workspace_id, first_name, email, phone, consent_email, consent_sms, consent_whatsapp, created_at)
      select ${w.workspaceId}::uuid, 'Client ' || g,
        case when g % 11 = 0 then null else ${tag} || '-' || (g % 150) || '@example.com' end,
        case when g % 4 = 0 then null else '+34600' || lpad((g % 120)::text, 6, '0') end,
        g % 3 <> 0, g % 5 <> 0, g % 2 = 0,
        now() - ((g % 200) * interval '1 minute')
      from generate_series(1, 600) g`);
    const suppressions = createSuppressionList(randomBytes(32).toString('hex'));
    const audience = await compileAudience(w.db, w.workspaceId, { definition: { all: [] } });
    const rules = {
      workspaceId: w.workspaceId,
      channels: ['email', 'whatsapp', 'sms'] as const,
      marketing: true,
      frequencyCap: null,
      workspaceTimezone: 'Europe/Madrid',
      now: new Date(),
    };
    const timing = { localTime: null, quietHours: null };

    const reference = await w.db.execute<Row>(sql`
      select client_id, channel, address,
        case when reason is null and row_number() over (
          partition by channel, address collate "C", reason is null order by created_at, client_id) > 1
        then 'duplicate_address' else reason end as reason
      from (${eligibilitySql(audience, rules, suppressions)}) j`);
    const expected = sorted(reference.rows);
    const duplicates = expected.filter((r) => r.reason === 'duplicate_address');
    expect(duplicates.length).toBeGreaterThan(100);

    const oneStatement = randomUUID();
    expect(await snapshotAudience(w.db, oneStatement, audience, rules, suppressions, timing)).toBe(600);
    expect(await ledger(oneStatement)).toEqual(expected);

    const middle = (await middleClientId(w.db, w.workspaceId))!;
    const halves = randomUUID();
    const added = await writeAudienceInHalves(t.app.dbHandle.pool, middle, (tx, range) =>
      writeAudience(tx, halves, audience, rules, suppressions, timing, range),
    );
    expect(added).toBe(600);
    const written = await ledger(halves);
    expect(written).toEqual(expected);
    // Losers on both sides of the middle: a half alone could not have decided them.
    expect(duplicates.some((r) => r.client_id < middle)).toBe(true);
    expect(duplicates.some((r) => r.client_id >= middle)).toBe(true);
    // Ids: version 7, increasing in client id order within each statement, each half in its own range.
    for (const campaignId of [oneStatement, halves]) {
      const ids = (
        await w.db.execute<{ id: string }>(
          sql`select id::text as id from deliveries where campaign_id = ${campaignId} order by client_id`,
        )
      ).rows.map((r) => r.id);
      expect(ids.every((id) => id[14] === '7' && '89ab'.includes(id[19]!))).toBe(true);
      const bad = ids.findIndex((id, i) => i > 0 && id <= ids[i - 1]!);
      expect(bad, `${ids[bad - 1]} then ${ids[bad]}`).toBe(-1);
      expect(new Set(ids).size).toBe(600);
    }
    // And nothing is written twice when a half is written again (the unique key).
    const again = await writeAudienceInHalves(t.app.dbHandle.pool, middle, (tx, range) =>
      writeAudience(tx, halves, audience, rules, suppressions, timing, range),
    );
    expect(again).toBe(0);

    async function ledger(campaignId: string) {
      const rows = await w.db.execute<Row & { status: string }>(
        sql`select client_id, channel, address, skip_reason as reason, status from deliveries where campaign_id = ${campaignId}`,
      );
      for (const r of rows.rows) expect(r.status).toBe(r.reason === null ? 'queued' : 'skipped');
      return sorted(rows.rows.map(({ status: _, ...r }) => r));
    }
  });

  it('a failing half rolls back both halves', async () => {
    const w = await segmentWorld(t);
    await w.db.execute(sql`
      insert into clients (workspace_id, first_name, email, consent_email)
      select ${w.workspaceId}::uuid, 'Client ' || g, 'half-' || g || '@example.com', true
      from generate_series(1, 50) g`);
    const middle = (await middleClientId(w.db, w.workspaceId))!;
    const campaignId = randomUUID();
    const audience = await compileAudience(w.db, w.workspaceId, { definition: { all: [] } });
    const rules = {
      workspaceId: w.workspaceId,
      channels: ['email'] as const,
      marketing: true,
      frequencyCap: null,
      workspaceTimezone: 'Europe/Madrid',
      now: new Date(),
    };
    const suppressions = createSuppressionList(randomBytes(32).toString('hex'));
    await expect(
      writeAudienceInHalves(t.app.dbHandle.pool, middle, async (tx, range) => {
        const n = await writeAudience(
          tx,
          campaignId,
          audience,
          rules,
          suppressions,
          {
            localTime: null,
            quietHours: null,
          },
          range,
        );
        if (range.from !== null) throw new Error('the second half fails after writing');
        return n;
      }),
    ).rejects.toThrow('the second half fails after writing');
    const left = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from deliveries where campaign_id = ${campaignId}`,
    );
    expect(left.rows[0]!.n).toBe(0);
  });
});

type Row = { client_id: string; channel: string; address: string | null; reason: string | null };

function sorted(rows: Row[]): Row[] {
  return rows
    .map((r) => ({ client_id: r.client_id, channel: r.channel, address: r.address, reason: r.reason }))
    .sort((a, b) => (a.client_id < b.client_id ? -1 : a.client_id > b.client_id ? 1 : 0));
}
