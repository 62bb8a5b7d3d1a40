/**
 * TEST-ONLY helpers shared by the segments tests: a workspace with custom fields, locations and a
 * time zone; clients and events written straight to their tables (any created_at, any score);
 * the SQL members of a tree.
 */
import { sql } from 'drizzle-orm';
import { newApiKey, newWorkspace, type TestApp, withKey } from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';
import type { Database } from '../../platform/db/db.ts';
import { insertClientsBulk } from '../clients/clients.service.ts';
import { type CustomFieldInput, createCustomField } from '../custom-fields/custom-fields.service.ts';
import { events } from '../events/events.schema.ts';
import { createLocation } from '../locations/locations.service.ts';
import type { Node } from './segment-definition.ts';
import type { RefClient, RefEvent } from './segment-reference.ts';
import { memberIds } from './segments.repo.ts';
import { checkDefinition, compileFor, segmentEnvironment } from './segments.service.ts';

export async function segmentWorld(
  t: TestApp,
  options: { timezone?: string; customFields?: CustomFieldInput[]; locations?: number } = {},
) {
  const db = t.app.dbHandle.db;
  const workspace = await newWorkspace(t);
  const ctx = systemContext(workspace.id, 'test');
  if (options.timezone)
    await db.execute(
      sql`update workspaces set default_timezone = ${options.timezone} where id = ${workspace.id}`,
    );
  for (const field of options.customFields ?? []) await createCustomField(db, ctx, field);
  const locations: string[] = [];
  for (let i = 0; i < (options.locations ?? 0); i += 1)
    locations.push((await createLocation(db, ctx, { name: `Location ${i}` })).id);
  const call = withKey(t, await newApiKey(t, workspace.id, 'owner'));
  return { db, workspace, workspaceId: workspace.id, ctx, locations, call };
}

export type ClientSpec = Partial<Omit<RefClient, 'id' | 'consent'>> & {
  consent?: Partial<RefClient['consent']>;
};

/** Inserts clients as given (any column, erased or not); returns their ids in order. */
export async function insertClients(
  db: Database,
  workspaceId: string,
  specs: ClientSpec[],
): Promise<string[]> {
  const ids = await insertClientsBulk(
    db,
    workspaceId,
    specs.map((s) => ({
      firstName: s.first_name ?? null,
      lastName: s.last_name ?? null,
      email: s.email ?? null,
      phone: s.phone ?? null,
      city: s.city ?? null,
      country: s.country ?? null,
      locale: s.locale ?? null,
      source: s.source ?? null,
      externalId: s.external_id ?? null,
      label: s.label ?? null,
      locationId: s.location_id ?? null,
      lifetimeValue: s.lifetime_value ?? 0,
      riskScore: s.risk_score ?? null,
      riskOverride: s.risk_override ?? null,
      ...(s.created_at ? { createdAt: s.created_at } : {}),
      lastActivityAt: s.last_activity_at ?? null,
      lastContactedAt: s.last_contacted_at ?? null,
      consentEmail: s.consent?.email ?? false,
      consentSms: s.consent?.sms ?? false,
      consentWhatsapp: s.consent?.whatsapp ?? false,
      consentPush: s.consent?.push ?? false,
      custom: s.custom ?? {},
      // Erased after their tags are written (below): tags of an erased client are refused
      // (migration 0026), and these fixtures keep some to prove segments skip erased clients.
      erasedAt: null,
      archivedAt: s.archived ? new Date() : null,
      tags: s.tags ?? [],
    })),
  );
  const erased = ids.filter((_, i) => specs[i]!.erased);
  if (erased.length)
    await db.execute(
      sql`update clients set erased_at = now() where id = any(${`{${erased.join(',')}}`}::uuid[])`,
    );
  return ids;
}

export async function insertEvents(
  db: Database,
  workspaceId: string,
  rows: Array<Omit<RefEvent, 'properties'> & { properties?: RefEvent['properties'] }>,
) {
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    if (!chunk.length) continue;
    await db.insert(events).values(
      chunk.map((e) => ({
        workspaceId,
        clientId: e.client_id,
        type: e.type,
        occurredAt: e.occurred_at,
        amount: e.amount,
        locationId: e.location_id,
        properties: e.properties ?? {},
      })),
    );
  }
}

/** The members of a tree by the SQL compiler (validated first), as the system sees them. */
export async function sqlMembers(db: Database, workspaceId: string, tree: unknown, now = new Date()) {
  const env = await segmentEnvironment(db, { workspaceId, role: 'owner' });
  const node: Node = checkDefinition(env, tree);
  return new Set(await memberIds(db, compileFor(env, node, now)));
}
