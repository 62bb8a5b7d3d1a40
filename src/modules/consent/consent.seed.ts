import { findUserByEmail } from '../../platform/auth/users.ts';
import { demoPeople } from '../../seed/people.ts';
import type { Seeder } from '../../seed/seed-demo.ts';
import { getClientRow, setConsentState } from '../clients/clients.service.ts';
import { insertConsentEvents, type NewConsentEvent } from './consent.repo.ts';
import type { Channel, ConsentSource } from './consent.service.ts';

/** Beyond this many clients the demo gives consent histories to the first ones (one row read per client). */
const MAX_CLIENTS = 20_000;

const USER_AGENTS = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15',
];

/** Per channel: how often it is granted, how, and how often it is withdrawn (and how) later. */
const PLAN: Record<
  Channel,
  { grant: number; via: ConsentSource[]; withdraw: number; withdrawVia: ConsentSource }
> = {
  email: {
    grant: 0.75,
    via: ['form', 'form', 'import', 'api'],
    withdraw: 0.12,
    withdrawVia: 'unsubscribe_link',
  },
  whatsapp: { grant: 0.5, via: ['form', 'admin'], withdraw: 0.08, withdrawVia: 'admin' },
  sms: { grant: 0.4, via: ['form', 'api'], withdraw: 0.1, withdrawVia: 'sms_keyword' },
  push: { grant: 0.1, via: ['form'], withdraw: 0.2, withdrawVia: 'form' },
};

/** Consent histories as a real business has them: grants at signup, later unsubscribes and STOP replies, a few re-grants. */
export const consentSeeder: Seeder = {
  name: 'consent',
  async run(seed) {
    const { db, ctx, progress } = seed;
    const random = demoPeople.rng(8058);
    const admin = await findUserByEmail(db, `${demoPeople.slug('Lucía Fernández')}@demo.clientela.local`);
    const actorFor = (source: ConsentSource) => {
      if (source === 'admin' && admin)
        return { actorType: 'user', actorId: admin.id, actorLabel: admin.email };
      if (source === 'api') return { actorType: 'api_key', actorId: null, actorLabel: 'Demo booking system' };
      const label = {
        form: 'Website signup form',
        import: 'Import (old CRM)',
        sms_keyword: 'SMS inbound',
      } as Record<string, string>;
      return { actorType: 'system', actorId: null, actorLabel: label[source] ?? source };
    };
    const events: NewConsentEvent[] = [];
    const granted: { clientId: string; channel: Channel }[] = [];
    for (const clientId of seed.clientIds.slice(0, MAX_CLIENTS)) {
      const client = await getClientRow(db, ctx.workspaceId, clientId);
      const start = client.createdAt.getTime();
      const span = Math.max(Date.now() - start, 60_000);
      const ip = `203.0.113.${1 + Math.floor(random() * 254)}`;
      const userAgent = demoPeople.pick(random, USER_AGENTS);
      for (const channel of Object.keys(PLAN) as Channel[]) {
        const plan = PLAN[channel];
        if (channel === 'email' && !client.email) continue;
        if (channel !== 'email' && channel !== 'push' && !client.phone) continue;
        if (random() > plan.grant) continue;
        const source = demoPeople.pick(random, plan.via);
        const at = new Date(start + random() * 0.05 * span);
        const web = source === 'form';
        events.push({
          workspaceId: ctx.workspaceId,
          clientId,
          channel,
          granted: true,
          source,
          ...actorFor(source),
          evidence:
            source === 'form'
              ? `Checkbox "Quiero recibir novedades por ${channel}" on the signup form`
              : source === 'import'
                ? 'Opt-in column of the old CRM export (2024)'
                : source === 'admin'
                  ? 'Asked at the front desk'
                  : null,
          ip: web ? ip : null,
          userAgent: web ? userAgent : null,
          wordingVersion: web ? demoPeople.pick(random, ['2024-03', '2025-01']) : null,
          occurredAt: at,
        });
        let state = true;
        if (random() < plan.withdraw) {
          const out = new Date(at.getTime() + random() * (Date.now() - at.getTime()));
          const via = plan.withdrawVia;
          events.push({
            workspaceId: ctx.workspaceId,
            clientId,
            channel,
            granted: false,
            source: via,
            ...actorFor(via),
            evidence:
              via === 'sms_keyword'
                ? 'Replied "STOP"'
                : via === 'unsubscribe_link'
                  ? 'One-click unsubscribe'
                  : null,
            ip: via === 'unsubscribe_link' ? ip : null,
            userAgent: via === 'unsubscribe_link' ? userAgent : null,
            wordingVersion: null,
            occurredAt: out,
          });
          state = false;
          if (random() < 0.15) {
            const back = new Date(out.getTime() + random() * (Date.now() - out.getTime()));
            events.push({
              workspaceId: ctx.workspaceId,
              clientId,
              channel,
              granted: true,
              source: 'form',
              ...actorFor('form'),
              evidence: 'Signed up again on the website',
              ip,
              userAgent,
              wordingVersion: '2025-01',
              occurredAt: back,
            });
            state = true;
          }
        }
        if (state) granted.push({ clientId, channel });
      }
    }
    for (let i = 0; i < events.length; i += 1000) await insertConsentEvents(db, events.slice(i, i + 1000));
    for (const g of granted) await setConsentState(db, ctx.workspaceId, g.clientId, g.channel, true);
    seed.summary.consent_events = events.length;
    progress(`consent: ${events.length} history entries, ${granted.length} channels granted now`);
  },
};
