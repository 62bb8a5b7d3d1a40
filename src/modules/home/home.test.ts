import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { recordDailyFigure } from '../clients/clients.daily-figures.ts';
import { insertClients, insertEvents, segmentWorld } from '../segments/segment-test-helpers.ts';

const t = setupTestApp();

const work = () => runDueJobs(t);

const DAY = 86_400_000;
const event = (client_id: string, daysAgo: number) => ({
  client_id,
  type: 'visit',
  occurred_at: new Date(Date.now() - daysAgo * DAY),
  amount: null,
  location_id: null,
});

describe('GET /home', () => {
  it('clients per week, at risk now, messages per channel per week with rates, last campaigns, moved segments; another workspace sees none of it', async () => {
    const w = await segmentWorld(t, { timezone: 'UTC' });
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', email: 'ana@example.com', consent: { email: true } },
      { first_name: 'Bea', email: 'bea@example.com', consent: { email: true } },
      { first_name: 'Cai', phone: '+34600000003', consent: { sms: true } },
      { first_name: 'Old', email: 'old@example.com' },
    ]);
    // Old was created 3 weeks ago and is at risk; Ana and Bea were active this week, Ana also 2 weeks ago.
    await w.db.execute(sql`update clients set created_at = now() - interval '21 days', risk_score = 85
      where id = ${ids[3]}`);
    await insertEvents(w.db, w.workspaceId, [
      event(ids[0]!, 0),
      event(ids[0]!, 0),
      event(ids[1]!, 0),
      event(ids[0]!, 14),
    ]);

    const campaign = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'Spring',
        channel: 'email',
        fallback_channels: ['sms'],
        content: { subject: 'Hola', body: 'Oferta' },
        audience: { client_ids: ids },
      })
    ).json();
    await w.call('POST', `/api/v1/campaigns/${campaign.id}/send`, {});
    await work();
    // Ana's email was delivered and read, Bea's delivered; Cai's SMS only sent.
    await w.db.execute(sql`update channel_messages set status = 'read' where recipient = 'ana@example.com'`);
    await w.db.execute(
      sql`update channel_messages set status = 'delivered' where recipient = 'bea@example.com'`,
    );

    // A segment counted 10 days ago (40), 3 days ago (45) and now (52): moved by +12 in 7 days.
    const segment = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Regulars',
        definition: { all: [{ field: 'first_name', op: 'eq', value: 'Ana' }] },
      })
    ).json();
    const still = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Still',
        definition: { all: [{ field: 'first_name', op: 'eq', value: 'Bea' }] },
      })
    ).json();
    await w.db.execute(sql`insert into segment_counts (segment_id, workspace_id, counted_at, count) values
      (${segment.id}, ${w.workspaceId}, now() - interval '10 days', 40),
      (${segment.id}, ${w.workspaceId}, now() - interval '3 days', 45),
      (${segment.id}, ${w.workspaceId}, now(), 52),
      (${still.id}, ${w.workspaceId}, now() - interval '9 days', 7),
      (${still.id}, ${w.workspaceId}, now(), 7)`);

    const response = await w.call('GET', '/api/v1/home?weeks=4');
    expect(response.statusCode, response.body).toBe(200);
    const home = response.json();
    expect(home.weeks).toBe(4);
    expect(home.clients.total).toBe(4);
    expect(home.clients.at_risk).toBe(1);
    expect(home.clients.weekly).toHaveLength(4);
    const thisWeek = home.clients.weekly.at(-1);
    // Old was created 21 days ago: in the week three weeks back (or, on a Monday-boundary day, the 4th).
    expect(home.clients.weekly.reduce((s: number, w: { new: number }) => s + w.new, 0)).toBe(4);
    expect(thisWeek.new).toBe(3);
    expect(thisWeek.active).toBe(2);
    expect(home.clients.weekly.reduce((s: number, w: { active: number }) => s + w.active, 0)).toBe(3);

    const messages = home.messages.weekly.at(-1).channels;
    expect(messages).toEqual([
      { channel: 'email', sent: 2, delivered: 2, read: 1, failed: 0, delivery_rate: 1, read_rate: 0.5 },
      { channel: 'sms', sent: 1, delivered: 0, read: 0, failed: 0, delivery_rate: 0, read_rate: 0 },
      {
        channel: 'whatsapp',
        sent: 0,
        delivered: 0,
        read: 0,
        failed: 0,
        delivery_rate: null,
        read_rate: null,
      },
    ]);
    expect(home.last_campaigns).toEqual([
      expect.objectContaining({
        id: campaign.id,
        name: 'Spring',
        status: 'sent',
        sent: 3,
        audience_count: 4,
      }),
    ]);
    expect(home.segments_moved).toEqual([
      expect.objectContaining({
        id: segment.id,
        name: 'Regulars',
        count_now: 52,
        count_before: 40,
        change: 12,
      }),
    ]);

    const other = await segmentWorld(t);
    const empty = (await other.call('GET', '/api/v1/home')).json();
    expect(empty.clients).toMatchObject({ total: 0, at_risk: 0 });
    expect(empty.clients.weekly).toHaveLength(12);
    expect(
      empty.clients.weekly.every((w: { new: number; active: number }) => w.new === 0 && w.active === 0),
    ).toBe(true);
    expect(
      empty.messages.weekly
        .flatMap((w: { channels: { sent: number }[] }) => w.channels)
        .every((c: { sent: number }) => c.sent === 0),
    ).toBe(true);
    expect(empty.last_campaigns).toEqual([]);
    expect(empty.segments_moved).toEqual([]);
    expect((await other.call('GET', '/api/v1/home?weeks=0')).statusCode).toBe(400);
  });

  it('at risk per week: the last daily reading of each week, null before the first; another workspace never sees them', async () => {
    const w = await segmentWorld(t, { timezone: 'UTC' });
    // At risk now: Ana (score), Cai (an override lifts a low score). Not: Bea (an override pulls a
    // high score down), Dan (no score), the archived and the erased.
    const [ana, , cai] = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', risk_score: 85 },
      { first_name: 'Bea', risk_score: 90, risk_override: 20 },
      { first_name: 'Cai', risk_score: 10, risk_override: 75 },
      { first_name: 'Dan' },
      { first_name: 'Old', risk_score: 95, archived: true },
      { first_name: 'Gone', risk_score: 80, erased: true },
    ]);
    const first = (await w.call('GET', '/api/v1/home?weeks=4')).json();
    expect(first.clients).toMatchObject({ total: 4, at_risk: 2 });
    // Nothing was recorded before this request: the earlier weeks have no data, not 0.
    expect(first.clients.weekly.map((x: { at_risk: number | null }) => x.at_risk)).toEqual([
      null,
      null,
      null,
      2,
    ]);
    expect(first.clients.weekly.at(-1).total).toBe(4);

    const weeks: string[] = first.clients.weekly.map((x: { week: string }) => x.week);
    const plus = (day: string, n: number) =>
      new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
    // Week 1: Saturday's reading (1 at risk: Ana overridden down) is written before Tuesday's (2);
    // the week shows Saturday's, its last day, whatever the order of writing.
    await w.db.execute(sql`update clients set risk_override = 10 where id = ${ana}`);
    await recordDailyFigure(w.db, w.workspaceId, { day: plus(weeks[1]!, 5) });
    await w.db.execute(sql`update clients set risk_override = null where id = ${ana}`);
    await recordDailyFigure(w.db, w.workspaceId, { day: plus(weeks[1]!, 1) });
    // Week 2: Monday, with a new client exactly on the line (70 counts).
    await insertClients(w.db, w.workspaceId, [{ first_name: 'Eva', risk_score: 70 }]);
    await recordDailyFigure(w.db, w.workspaceId, { day: weeks[2]! });
    // Now: Cai is archived.
    await w.db.execute(sql`update clients set archived_at = now() where id = ${cai}`);

    // Another workspace's readings, on the same days, change nothing here.
    const other = await segmentWorld(t, { timezone: 'UTC' });
    await insertClients(other.db, other.workspaceId, [
      { risk_score: 99 },
      { risk_score: 99 },
      { risk_score: 99 },
    ]);
    await recordDailyFigure(other.db, other.workspaceId, { day: weeks[0]! });
    await recordDailyFigure(other.db, other.workspaceId, { day: plus(weeks[1]!, 6) });

    const home = (await w.call('GET', '/api/v1/home?weeks=4')).json();
    expect(
      home.clients.weekly.map((x: { at_risk: number | null; total: number | null }) => [x.at_risk, x.total]),
    ).toEqual([
      [null, null],
      [1, 4],
      [3, 5],
      [2, 4],
    ]);
    expect(home.clients).toMatchObject({ total: 4, at_risk: 2 });

    const theirs = (await other.call('GET', '/api/v1/home?weeks=4')).json();
    expect(theirs.clients.weekly.map((x: { at_risk: number | null }) => x.at_risk)).toEqual([3, 3, null, 3]);
  });
});
