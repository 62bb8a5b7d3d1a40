import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { notifyMembers } from '../notifications/notifications.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import type { CampaignRow } from './campaigns.repo.ts';

/** The stored text, in the workspace's language, for the email; the bell words it in the reader's language from `data`. */
const PHRASES = {
  en: {
    failed: (name: string) => `Campaign “${name}” could not be sent`,
    paused: (name: string) => `Campaign “${name}” paused itself`,
    open: 'Open the campaign to see why and what to do.',
  },
  es: {
    failed: (name: string) => `La campaña «${name}» no se pudo enviar`,
    paused: (name: string) => `La campaña «${name}» se ha pausado sola`,
    open: 'Abre la campaña para ver por qué y qué hacer.',
  },
  fr: {
    failed: (name: string) => `La campagne « ${name} » n’a pas pu être envoyée`,
    paused: (name: string) => `La campagne « ${name} » s’est mise en pause`,
    open: 'Ouvrez la campagne pour voir pourquoi et que faire.',
  },
} as const;

/**
 * A campaign stopped by itself (`failed`, or `paused` by the failure rate or a refused account):
 * nobody is watching a campaign that runs for hours, so the member who created it hears about it
 * in the bell, and by email when the server can send email. A campaign created by an API key, or
 * by someone no longer a member, goes to the workspace's owners and admins instead. Called inside
 * the transaction that changes the status, so the notice exists exactly when the status does.
 */
export async function notifyCampaignStopped(
  tx: DbOrTx,
  row: CampaignRow,
  stop: { status: 'failed' | 'paused'; reason: string },
  options: { mailConfigured: boolean },
): Promise<number> {
  const members = await tx.execute<{ user_id: string }>(sql`
    select m.user_id from workspace_members m
    where m.workspace_id = ${row.workspaceId}
      and (m.user_id = ${row.createdBy}::uuid
        or (m.role in ('owner', 'admin') and not exists (
          select 1 from workspace_members c where c.workspace_id = ${row.workspaceId} and c.user_id = ${row.createdBy}::uuid)))`);
  const workspace = await getWorkspace(tx, row.workspaceId);
  const phrases = PHRASES[workspace.defaultLocale as keyof typeof PHRASES] ?? PHRASES.en;
  return notifyMembers(
    tx,
    row.workspaceId,
    members.rows.map((m) => m.user_id),
    {
      kind: `campaign_${stop.status}`,
      title: phrases[stop.status](row.name),
      body: `${phrases.open} ${stop.reason}`,
      link: `/campaigns/${row.id}`,
      data: { campaign_id: row.id, campaign_name: row.name, status: stop.status, reason: stop.reason },
    },
    { email: true, mailConfigured: options.mailConfigured },
  );
}
